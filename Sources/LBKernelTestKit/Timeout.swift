/// The operation did not finish in time.
public struct TimeoutError: Error, CustomStringConvertible, Sendable {
    /// What was being waited for.
    public var waitingFor: String
    /// How long the wait was.
    public var limit: Duration

    /// Creates the error.
    public init(waitingFor: String, limit: Duration) {
        self.waitingFor = waitingFor
        self.limit = limit
    }

    /// `timed out after <limit> waiting for <what>`.
    public var description: String { "timed out after \(limit) waiting for \(waitingFor)" }
}

/// Runs `operation`, failing with ``TimeoutError`` when it takes longer than `limit`: a bounded wait with a clear
/// message, for tests that await an event.
public func withTimeout<T: Sendable>(_ limit: Duration, waitingFor what: String,
                                     _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let value = result { return value }
            throw TimeoutError(waitingFor: what, limit: limit)
        }
        throw TimeoutError(waitingFor: what, limit: limit)
    }
}
