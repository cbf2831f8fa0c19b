import LBKernel
import Testing
@testable import Layer2Plugin

/// Two (or three) real memberships on one host, over loopback with unicast peers on different ports: they see each
/// other, a leave is seen as such at once, a cancelled node dies, a restart comes back, bad senders are counted.
@Suite("Membership on loopback", .serialized)
struct MembershipLoopbackTests {
    static let key = try! HeartbeatKey("loopback test key, 32 octets...")
    /// 50 ms × 10: a node dies 525 ms after its last beat, so `left` (expected in a few ms) cannot be mistaken for
    /// a death.
    static let interval = GoDuration(nanoseconds: 50_000_000)
    static let deadAfter = 10

    /// A membership named `node` receiving on `port`, beating to `peer` at `peerPort`.
    static func member(_ node: String, port: UInt16, peer: IPAddress, peerPort: UInt16,
                       key: HeartbeatKey = key) throws -> Membership {
        let configuration = Membership.Configuration(port: port, peers: [peer], interval: interval,
                                                     deadAfter: deadAfter, key: "unused here, keys given")
        return try Membership(configuration: configuration, node: node, keys: [key],
                              logger: membershipTestLogger(node), incarnation: nil, peerPort: peerPort,
                              network: .host)
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func nodesSeeEachOtherLeaveDieAndRestart(address: String) async throws {
        let loopback = try #require(IPAddress(address))
        let portA = try freeUDPPort()
        let portB = try freeUDPPort()
        let a = try Self.member("a", port: portA, peer: loopback, peerPort: portB)
        let b = try Self.member("b", port: portB, peer: loopback, peerPort: portA)
        let recordA = MembershipRecorder()
        let recordB = MembershipRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recordA.record(a) }
            group.addTask { await recordB.record(b) }
            group.addTask { try await a.run() }
            let runB = Task { try await b.run() }

            // Both live within a bounded wait.
            #expect(await recordA.wait(for: .joined("b"), within: .seconds(30)) != nil)
            #expect(await recordB.wait(for: .joined("a"), within: .seconds(30)) != nil)
            #expect(a.live == ["b"])
            #expect(b.live == ["a"])

            // b leaves: a sees `left`, well before a death could be declared (525 ms), and b's run() returns.
            let leaving = ContinuousClock.now
            await b.leave()
            let left = await recordA.wait(for: .left("b"), after: leaving, within: .seconds(30))
            // Seen as a departure, not a death (a death needs deadAfter × interval of silence; an upper bound on the
            // time would only measure the machine's load).
            _ = try #require(left)
            #expect(a.live.isEmpty)
            try await runB.value
            #expect(!recordA.events.contains { $0.event == .died("b") }, "a node that left does not die")

            // b restarts (a new incarnation on the same port): joined again.
            let b2 = try Self.member("b", port: portB, peer: loopback, peerPort: portA)
            #expect(b2.incarnation > b.incarnation)
            let runB2 = Task { try await b2.run() }
            let restarted = ContinuousClock.now
            #expect(await recordA.wait(for: .joined("b"), after: restarted, within: .seconds(30)) != nil)

            // b2 is cancelled (no goodbye): a declares it dead after deadAfter × interval (+ half), not before.
            let cancelled = ContinuousClock.now
            runB2.cancel()
            try await runB2.value
            let died = await recordA.wait(for: .died("b"), after: cancelled, within: .seconds(10))
            let deadAfter = try #require(died) - cancelled
            // The last beat left at most 1.1 intervals before the cancel.
            #expect(deadAfter >= Self.interval.duration * (Double(Self.deadAfter) + 0.5 - 1.1), "died after \(deadAfter)")
            #expect(a.live.isEmpty)

            let counters = a.counters
            #expect(counters.accepted > 0)
            #expect(counters.sent > 0)
            #expect(counters.sendErrors == 0, "\(counters)")
            #expect(counters.rejected.isEmpty, "\(counters.rejected)")
            group.cancelAll()
            for try await _ in group {}
        }
    }

    /// A node with our name and a node with another key are both rejected, counted per reason, and never live.
    @Test func impostorsAndStrangersAreCountedAndIgnored() async throws {
        let portA = try freeUDPPort()
        let portI = try freeUDPPort()
        let portS = try freeUDPPort()
        let loopback = IPAddress.v4(IPv4Address(127, 0, 0, 1))
        let a = try Self.member("a", port: portA, peer: loopback, peerPort: portI)
        let impostor = try Self.member("a", port: portI, peer: loopback, peerPort: portA)
        let stranger = try Self.member("s", port: portS, peer: loopback, peerPort: portA,
                                       key: HeartbeatKey("a different key, 32 octets long."))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for member in [a, impostor, stranger] {
                group.addTask { try await member.run() }
            }
            let counted = await poll(within: .seconds(30)) {
                let rejected = a.counters.rejected
                return (rejected[.duplicateNodeName] ?? 0) >= 3 && (rejected[.unauthenticated] ?? 0) >= 3 ? rejected
                    : nil
            }
            #expect(counted != nil, "rejections: \(a.counters.rejected)")
            #expect(a.live.isEmpty)
            #expect(a.counters.accepted == 0)
            group.cancelAll()
            for try await _ in group {}
        }
    }

    /// leave() before run(): run() returns at once without sending anything.
    @Test func leavingBeforeRunningEndsTheRunAtOnce() async throws {
        let m = try Self.member("a", port: try freeUDPPort(), peer: .v4(IPv4Address(127, 0, 0, 1)), peerPort: 9)
        await m.leave()
        try await m.run()
        #expect(m.counters.sent == 0)
        var updates = m.updates.makeAsyncIterator()
        #expect(await updates.next() == nil, "the stream finished")
    }
}
