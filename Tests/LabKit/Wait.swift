import Foundation

/// A bounded wait in a lab that ran out, with what was last seen.
public struct LabTimeout: Error, CustomStringConvertible {
    /// What was being waited for.
    public var waitingFor: String
    /// How long the wait was.
    public var limit: Duration
    /// The last observation (or the last error of the check), to say why the wait failed.
    public var lastSeen: String?

    /// `timed out after <limit> waiting for <what>; last seen: <…>`.
    public var description: String {
        "timed out after \(limit) waiting for \(waitingFor)" + (lastSeen.map { "; last seen: \($0)" } ?? "")
    }
}

/// Something the lab could not do, with the command and its output.
public struct LabError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Calls `check` every `interval` until it returns a value; throws `LabTimeout` after `limit`.
///
/// `check` returns nil (or throws) to say "not yet"; the last error or `describe`'d observation ends up in the
/// timeout's message. A check that must fail fast (a daemon died) throws `LabError` through `abortIf`.
@discardableResult
public func poll<T>(_ what: String, within limit: Duration, every interval: Duration = .milliseconds(100),
                    abortIf abort: () throws -> Void = {},
                    _ check: () async throws -> T?) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: limit)
    var lastSeen: String?
    while true {
        do {
            if let value = try await check() { return value }
        } catch let error as CancellationError {
            throw error
        } catch {
            lastSeen = "\(error)"
        }
        try abort()
        if clock.now >= deadline { throw LabTimeout(waitingFor: what, limit: limit, lastSeen: lastSeen) }
        try await Task.sleep(for: interval)
    }
}

/// Like `poll`, but `observe` reports what it saw each time so that a timeout can say so.
@discardableResult
public func poll<T>(_ what: String, within limit: Duration, every interval: Duration = .milliseconds(100),
                    abortIf abort: () throws -> Void = {},
                    observe: () async throws -> T, until done: (T) -> Bool,
                    describe: (T) -> String = { "\($0)" }) async throws -> T {
    var last: String?
    do {
        return try await poll(what, within: limit, every: interval, abortIf: abort) { () async throws -> T? in
            let value: T
            do { value = try await observe() } catch { last = "\(error)"; throw error }
            if done(value) { return value }
            last = describe(value)
            return nil
        }
    } catch var timeout as LabTimeout {
        if let last { timeout.lastSeen = last }
        throw timeout
    }
}
