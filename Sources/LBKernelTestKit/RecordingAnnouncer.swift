public import LBKernel
import ServiceLifecycle
import Synchronization

/// A fake ``Announcer`` that records every desired set it is given, so a test can await and inspect them.
///
/// It behaves as a real announcer must: `apply` is idempotent, and on graceful shutdown `run()` withdraws
/// everything (records an empty set) and returns.
public final class RecordingAnnouncer: Announcer {
    private let applied = Observed<DesiredSet>()
    private let failures = Mutex(0)
    private let shutdownWithdrawal = Mutex(false)

    /// Creates a recorder.
    public init() {}

    /// Makes the next `count` calls of ``apply(_:)`` fail, to test the kernel's retries.
    public func failNext(_ count: Int) { failures.withLock { $0 = count } }

    /// Records `desired` (or fails, when told to).
    public func apply(_ desired: DesiredSet) async throws {
        let fail = failures.withLock { count -> Bool in
            if count > 0 { count -= 1; return true }
            return false
        }
        if fail { throw ScriptedFailure(message: "apply failure injected by the test") }
        applied.append(desired)
    }

    /// Every set applied so far, oldest first.
    public var appliedSets: [DesiredSet] { applied.values }

    /// The set in force now (the last applied), or nil before the first.
    public var current: DesiredSet? { applied.values.last }

    /// True once `run()` withdrew everything on graceful shutdown.
    public var withdrewOnShutdown: Bool { shutdownWithdrawal.withLock { $0 } }

    /// Waits (at most `limit`) until the set in force satisfies `predicate`.
    @discardableResult
    public func waitForSet(within limit: Duration = .seconds(10), _ what: String = "a desired set",
                           where predicate: @escaping @Sendable (DesiredSet) -> Bool) async throws -> DesiredSet {
        try await applied.wait(within: limit, what, onlyLatest: true, where: predicate)
    }

    /// Waits for graceful shutdown, then withdraws everything.
    public func run() async throws {
        try? await gracefulShutdown()
        let node = current?.node ?? ""
        applied.append(.empty(node: node))
        shutdownWithdrawal.withLock { $0 = true }
    }
}
