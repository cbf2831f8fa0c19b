public import LBKernel
public import ServiceLifecycle
import Synchronization

/// A fake ``AddressSource`` driven by the test: it publishes the snapshots you give it and keeps every report
/// the kernel sends back, so a test can await them.
public final class ScriptedSource: AddressSource {
    /// The snapshots published so far, as the kernel reads them.
    public let snapshots: AsyncStream<SourceSnapshot>
    private let continuation: AsyncStream<SourceSnapshot>.Continuation
    private let reports = Observed<AllocationReport>()
    private let failRecording = Mutex(false)

    /// Creates a source that publishes `initial` (when given) as soon as the kernel listens.
    public init(initial: SourceSnapshot? = nil) {
        (snapshots, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        if let initial { continuation.yield(initial) }
    }

    /// Publishes a complete snapshot.
    public func publish(_ snapshot: SourceSnapshot) { continuation.yield(snapshot) }

    /// Makes ``record(_:)`` fail (or succeed again), to test the kernel's retries.
    public func setRecordingFails(_ fails: Bool) { failRecording.withLock { $0 = fails } }

    /// Keeps the report.
    public func record(_ report: AllocationReport) async throws {
        if failRecording.withLock({ $0 }) { throw ScriptedFailure(message: "recording disabled by the test") }
        reports.append(report)
    }

    /// Every report received so far.
    public var receivedReports: [AllocationReport] { reports.values }

    /// Waits (at most `limit`) for a report that satisfies `predicate`, looking at past reports first.
    @discardableResult
    public func waitForReport(within limit: Duration = .seconds(10), _ what: String = "an allocation report",
                              where predicate: @escaping @Sendable (AllocationReport) -> Bool) async throws
        -> AllocationReport {
        try await reports.wait(within: limit, what, where: predicate)
    }

    /// Waits for graceful shutdown, then finishes the stream.
    public func run() async throws {
        try? await gracefulShutdown()
        continuation.finish()
    }
}

/// A failure a fake was told to produce.
public struct ScriptedFailure: Error, CustomStringConvertible, Sendable {
    /// Why.
    public var message: String
    /// The message.
    public var description: String { message }
}
