import Synchronization

/// A list of values that grows, and lets tasks await a value matching a predicate without polling.
final class Observed<Value: Sendable>: Sendable {
    private struct Waiter {
        var predicate: @Sendable (Value) -> Bool
        var continuation: CheckedContinuation<Value?, Never>
    }

    private struct State {
        var values: [Value] = []
        var waiters: [Int: Waiter] = [:]
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    var values: [Value] { state.withLock { $0.values } }

    func append(_ value: Value) {
        let ready = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            state.values.append(value)
            let matched = state.waiters.filter { $0.value.predicate(value) }
            for key in matched.keys { state.waiters[key] = nil }
            return matched.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: value) }
    }

    /// Waits for a value matching `predicate` (the latest existing one counts), at most `limit`.
    func wait(within limit: Duration, _ what: String, onlyLatest: Bool = false,
              where predicate: @escaping @Sendable (Value) -> Bool) async throws -> Value {
        let found: Value?? = try await withTimeout(limit, waitingFor: what) {
            await self.next(onlyLatest: onlyLatest, where: predicate)
        }
        guard let found, let value = found else { throw TimeoutError(waitingFor: what, limit: limit) }
        return value
    }

    private func next(onlyLatest: Bool, where predicate: @escaping @Sendable (Value) -> Bool) async -> Value? {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let immediate = state.withLock { state -> Value?? in
                    if state.cancelled.remove(id) != nil { return .some(nil) }
                    let candidates = onlyLatest ? Array(state.values.suffix(1)) : state.values
                    if let match = candidates.last(where: predicate) { return .some(match) }
                    state.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.continuation.resume(returning: nil)
        }
    }
}
