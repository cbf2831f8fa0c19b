import Synchronization

/// When each Service was first seen with an address in `status.loadBalancer.ingress` (from the watch), and waits
/// for Services to get one: woken by the watch's events, never by polling.
final class StatusTracker: Sendable {
    /// What the watch has seen so far.
    struct Seen: Sendable {
        /// The first instant each `namespace/name` had an ingress address.
        var addressed: [String: ContinuousClock.Instant] = [:]
        /// How many Services of each namespace have an ingress address.
        var perNamespace: [String: Int] = [:]
        /// MODIFIED events seen for Services, all namespaces (annotation and status writes, …).
        var modified = 0
        /// The first instant an Event about each `namespace/name` was seen (in the namespaces whose Events are
        /// watched).
        var events: [String: ContinuousClock.Instant] = [:]
        /// How many watches the server has answered.
        var watchesStarted = 0
    }

    private struct Waiter {
        var isDone: @Sendable (Seen) -> Bool
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var seen = Seen()
        var waiters: [Int: Waiter] = [:]
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    /// Records that `namespace/name` has an address, seen at `instant` (only the first time counts).
    func addressed(namespace: String, name: String, at instant: ContinuousClock.Instant) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            let key = "\(namespace)/\(name)"
            guard state.seen.addressed[key] == nil else { return [] }
            state.seen.addressed[key] = instant
            state.seen.perNamespace[namespace, default: 0] += 1
            return Self.takeDone(&state)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Records the first Event about `namespace/name`.
    func event(namespace: String, name: String, at instant: ContinuousClock.Instant) {
        state.withLock { state in
            let key = "\(namespace)/\(name)"
            if state.seen.events[key] == nil { state.seen.events[key] = instant }
        }
    }

    /// Counts a watch the server answered.
    func watchStarted() { state.withLock { $0.seen.watchesStarted += 1 } }

    /// Counts a MODIFIED event.
    func modified() { state.withLock { $0.seen.modified += 1 } }

    /// What has been seen so far.
    var seen: Seen { state.withLock { $0.seen } }

    /// Waits until `isDone` holds; throws after `limit`, or as soon as `abort` throws (checked every 100 ms).
    func wait(_ what: String, within limit: Duration, abortIf abort: @escaping @Sendable () throws -> Void,
              until isDone: @escaping @Sendable (Seen) -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.wait(until: isDone) }
            group.addTask {
                let deadline = ContinuousClock.now.advanced(by: limit)
                while ContinuousClock.now < deadline {
                    try abort()
                    try await Task.sleep(for: .milliseconds(100))
                }
                throw BenchError("timed out after \(limit) waiting for \(what)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func wait(until isDone: @escaping @Sendable (Seen) -> Bool) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if isDone(state.seen) { return .success(()) }
                    state.waiters[id] = Waiter(isDone: isDone, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private static func takeDone(_ state: inout State) -> [CheckedContinuation<Void, any Error>] {
        var done: [CheckedContinuation<Void, any Error>] = []
        for (id, waiter) in state.waiters where waiter.isDone(state.seen) {
            state.waiters[id] = nil
            done.append(waiter.continuation)
        }
        return done
    }
}
