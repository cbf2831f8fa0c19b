import LBKernel
import Logging
import Synchronization
import Testing
@testable import Layer2Plugin

/// Every update a membership delivered, with when it arrived, read from its stream by a background task.
final class MembershipRecorder: Sendable {
    /// The updates so far, with their arrival instants.
    let updates = Mutex<[(at: ContinuousClock.Instant, update: MembershipUpdate)]>([])

    /// Records `membership`'s updates until its stream finishes (start it before `run()`).
    func record(_ membership: Membership) async {
        for await update in membership.updates {
            updates.withLock { $0.append((ContinuousClock.now, update)) }
        }
    }

    /// The events so far, with their arrival instants.
    var events: [(at: ContinuousClock.Instant, event: MembershipEvent)] {
        updates.withLock { $0.flatMap { entry in entry.update.events.map { (entry.at, $0) } } }
    }

    /// Waits (at most `limit`) until `event` has arrived after `since`; its arrival instant, or nil on time-out.
    func wait(for event: MembershipEvent, after since: ContinuousClock.Instant = .now - .seconds(3600),
              within limit: Duration) async -> ContinuousClock.Instant? {
        await poll(within: limit) { self.events.first { $0.event == event && $0.at >= since }?.at }
    }
}

/// Polls `value` every 5 ms until it is non-nil or `limit` has passed (a bounded wait for a condition).
func poll<T>(within limit: Duration, _ value: () -> T?) async -> T? {
    let deadline = ContinuousClock.now + limit
    while true {
        if let result = value() { return result }
        guard ContinuousClock.now < deadline else { return nil }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// A free UDP port on this host (bound once, then released: the tests bind it again at once).
func freeUDPPort() throws -> UInt16 {
    let socket = try MembershipSockets.openReceive(.ipv4, port: 0)
    defer { MembershipSockets.closeSocket(socket) }
    return MembershipSockets.boundPort(socket)
}

/// A logger for test memberships that prints warnings and worse (LBDT_LOG=debug prints everything).
func membershipTestLogger(_ label: String) -> Logger {
    var logger = Logger(label: "test.membership.\(label)") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .warning
    return logger
}
