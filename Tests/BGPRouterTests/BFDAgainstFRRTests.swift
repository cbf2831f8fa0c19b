import Testing
// BGPPlugin's imports need its dependencies' module maps (NIO's _AtomicsShims among them), which SwiftPM passes
// only to a target that depends on BGPPlugin: without that dependency this file compiles to nothing.
#if canImport(BGPPlugin) && canImport(_AtomicsShims)
import Foundation
import LBKernel
@testable import BGPPlugin
#if canImport(Glibc)
import Glibc
#endif

/// lbd's BFD session against FRR 8.4's bfdd, single-hop, in network namespaces (root; `make test` runs it in CI).
///
/// Both sides use 300 ms intervals and Detect Mult 3, so each side's Detection Time is 900 ms.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct BFDAgainstFRRTests {
    /// The Detection Time on both sides: 3 × 300 ms.
    static let detectionTime: Duration = .milliseconds(900)
    /// What a loaded 2-core CI machine may add (timer wake-ups, the event loop, the command that cuts the link).
    static let margin: Duration = .seconds(1)

    /// How the link is broken.
    enum Cut: String, Sendable, CaseIterable {
        /// `ip link set down` on FRR's end.
        case linkDown
        /// Every packet dropped both ways with the link up (a `pfifo limit 0` qdisc on both ends).
        case silentDrop
    }

    @Test(arguments: [(IPFamily.ipv4, Cut.linkDown), (.ipv6, .linkDown), (.ipv4, .silentDrop), (.ipv6, .silentDrop)])
    func linkFailureIsDetectedWithinTheDetectionTime(family: IPFamily, cut: Cut) async throws {
        try await withBFDLab { lab in
            _ = try lab.startBFDD(family: family)
            let (capture, pcap) = try lab.startCapture("session")
            let (session, run) = startSession(lab, family)
            defer { run.cancel() }
            try await bothUp(lab, session, family)

            let clock = ContinuousClock()
            let cutAt = clock.now
            switch cut {
            case .linkDown: try lab.setFRRLinkDown()
            case .silentDrop: try lab.dropAllTraffic()
            }
            let down = try await bfdAwaitChange(session, within: Self.detectionTime + Self.margin + .seconds(5),
                                                "lbd's session to go Down after \(cut)") { $0.state == .down }
            let elapsed = clock.now - cutAt
            print("BFD \(family) \(cut): lbd declared the session Down \(elapsed) after the cut "
                  + "(Detection Time \(Self.detectionTime), limit \(Self.detectionTime + Self.margin))")
            #expect(down.previousState == .up)
            #expect(down.diagnostic == .controlDetectionTimeExpired)
            #expect(down.isPathFailure)
            #expect(elapsed <= Self.detectionTime + Self.margin, "detected after \(elapsed)")

            lab.stopCapture(capture)
            try checkCapture(pcap, lbd: lab.lbdAddress(family), family: family)
            try await stop(run)
        }
    }

    @Test(arguments: IPFamily.allCases)
    func frrStoppingIsDetectedWithinTheDetectionTime(family: IPFamily) async throws {
        try await withBFDLab { lab in
            let bfdd = try lab.startBFDD(family: family)
            let (session, run) = startSession(lab, family)
            defer { run.cancel() }
            try await bothUp(lab, session, family)

            let clock = ContinuousClock()
            let stoppedAt = clock.now
            bfdd.send(SIGTERM)
            let down = try await bfdAwaitChange(session, within: Self.detectionTime + Self.margin + .seconds(5),
                                                "lbd's session to go Down after bfdd stopped") { $0.state == .down }
            let elapsed = clock.now - stoppedAt
            print("BFD \(family): lbd declared the session Down \(elapsed) after bfdd got SIGTERM "
                  + "(\(down.diagnostic); Detection Time \(Self.detectionTime))")
            // FRR 8.4 sends no AdminDown when it exits, so this is the Detection Time expiring.
            #expect(down.diagnostic == .controlDetectionTimeExpired)
            #expect(down.isPathFailure)
            #expect(elapsed <= Self.detectionTime + Self.margin, "detected after \(elapsed)")
            try await stop(run)
        }
    }

    @Test func lbdStoppingSendsAdminDownToFRR() async throws {
        try await withBFDLab { lab in
            _ = try lab.startBFDD(family: .ipv4)
            let (session, run) = startSession(lab, .ipv4)
            defer { run.cancel() }
            try await bothUp(lab, session, .ipv4)

            try await stop(run)
            #expect(session.state == .adminDown)
            // AdminDown reaches FRR at once (not after its Detection Time): diagnostic 7 (RFC 5880 §6.8.16).
            let peer = try lab.waitForFRRPeer(lab.lbdAddress(.ipv4), status: "down", within: .seconds(3))
            #expect(peer["remote-diagnostic"] as? String == "administratively down", "bfdd shows \(peer)")
            #expect(peer["diagnostic"] as? String == "neighbor signaled session down", "bfdd shows \(peer)")
        }
    }

    @Test func passiveSessionWaitsForFRRThenComesUp() async throws {
        try await withBFDLab { lab in
            let (session, run) = startSession(lab, .ipv4, parameters: BFDParameters(passive: true))
            defer { run.cancel() }
            _ = try await bfdAwaitChange(session, within: .seconds(10), "lbd's session to start") { $0.state == .down }
            // Passive (RFC 5880 §6.1): nothing is sent before the peer speaks.
            try await Task.sleep(for: .seconds(1))
            #expect(session.counters.packetsSent == 0)
            _ = try lab.startBFDD(family: .ipv4)
            try await bothUp(lab, session, .ipv4)
            #expect(session.counters.packetsSent > 0)
            try await stop(run)
        }
    }

    // MARK: Steps

    private func startSession(_ lab: BFDLab, _ family: IPFamily,
                              parameters: BFDParameters = BFDParameters()) -> (BFDSession, Task<Void, any Error>) {
        let session = lab.lbdSession(family: family, parameters: parameters)
        return (session, Task { try await session.run() })
    }

    /// Waits until lbd's session and bfdd's peer are both Up, and checks what bfdd learnt from lbd's packets.
    private func bothUp(_ lab: BFDLab, _ session: BFDSession, _ family: IPFamily) async throws {
        _ = try await bfdAwaitChange(session, within: .seconds(15), "lbd's session to come Up with bfdd "
                                     + "(bfdd log: \(lab.path("bfdd.log")))") { $0.state == .up }
        let peer = try lab.waitForFRRPeer(lab.lbdAddress(family), status: "up", within: .seconds(10))
        #expect(number(peer["remote-id"]) == Int(session.localDiscriminator), "bfdd shows \(peer)")
        #expect(number(peer["remote-receive-interval"]) == 300, "bfdd shows \(peer)")
        #expect(number(peer["remote-detect-multiplier"]) == 3, "bfdd shows \(peer)")
    }

    /// Cancels lbd's session and waits for `run()` to return (AdminDown, then at most 1 s of linger).
    private func stop(_ run: Task<Void, any Error>) async throws {
        run.cancel()
        try await bfdWithTimeout(.seconds(5), "lbd's session to stop") { try await run.value }
    }

    /// tshark decodes every BFD packet without error, and lbd's went out with TTL 255 from one source port in
    /// 49152-65535 (RFC 5881 §4, §5).
    private func checkCapture(_ pcap: URL, lbd: IPAddress, family: IPFamily) throws {
        let broken = try bfdRun(["tshark", "-r", pcap.path, "-Y", "bfd && (_ws.malformed || _ws.expert.severity >= error)"])
        #expect(broken.isEmpty, "tshark found malformed BFD packets in \(pcap.path):\n\(broken)")
        let source = family == .ipv4 ? "ip.src" : "ipv6.src"
        let ttl = family == .ipv4 ? "ip.ttl" : "ipv6.hlim"
        let fields = try bfdRun(["tshark", "-r", pcap.path, "-Y", "bfd && \(source) == \(lbd)", "-T", "fields",
                                 "-e", ttl, "-e", "udp.srcport", "-e", "bfd.sta"])
        let rows = fields.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.count >= 3, "lbd's packets in \(pcap.path): \(fields)")
        #expect(Set(rows.map { $0.first ?? "" }) == ["255"], "TTL / hop limit of lbd's packets: \(fields)")
        let ports = Set(rows.compactMap { $0.dropFirst().first.flatMap { UInt16($0) } })
        #expect(ports.count == 1 && ports.allSatisfy { (49152...65535).contains($0) }, "source ports: \(ports)")
    }

    private func number(_ value: Any?) -> Int? {
        (value as? NSNumber)?.intValue ?? (value as? Int)
    }
}
#else
/// BGPRouterTests cannot see BGPPlugin: the BFD acceptance tests need it as a dependency of the target.
@Suite struct BFDAgainstFRRTests {
    @Test func needsBGPPlugin() {
        Issue.record("add \"BGPPlugin\" to the dependencies of the BGPRouterTests target in Package.swift")
    }
}
#endif
