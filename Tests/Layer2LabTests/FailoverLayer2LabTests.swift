import Foundation
import LabKit
import LBKernel
import Testing

/// The owner fails four ways while the client probes both VIPs over UDP every 10 ms; the next node in the ranking
/// takes over within a bound generous for a loaded CI machine (lbd's defaults: heartbeats every 100 ms, dead after
/// 3 missed, so detection takes about 300–400 ms). The figures are printed (l2-baseline.md §4c's definitions).
@Suite(.serialized)
struct FailoverLayer2LabTests {
    /// The takeover bound with the default heartbeat settings.
    static let bound: UInt64 = 3_000_000_000

    /// How a test breaks the owner.
    enum Failure: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// `kill -9` of the owner's lbd: no leaving heartbeat; its echo server still answers whoever still sends.
        case kill
        /// `ip link set eth0 down` in the owner.
        case linkDown
        /// The owner's bridge port disabled: it keeps its link and hears nothing.
        case isolate

        var testDescription: String { rawValue }
    }

    @Test("the successor takes over both VIPs within 3 s", arguments: Failure.allCases)
    func takeover(after failure: Failure) async throws {
        try await withLayer2Lab { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let (owner, successor) = (cluster.owner, cluster.successor)
            let prober = try await Prober.start(lab, from: lab.client)
            try await prober.wait(for: "steady replies from \(owner.name)", within: .seconds(10)) {
                $0.steady(on: owner.name, count: 20)
            }

            let injected = monotonicNanoseconds()
            switch failure {
            case .kill: await cluster.node(owner.name).kill()
            case .linkDown: try await lab.setLink(owner, up: false)
            case .isolate: try await lab.setPort(owner, forwarding: false)
            }
            let timeline = try await prober.wait(for: "replies from \(successor.name) over IPv4 and IPv6",
                                                 within: .seconds(20)) { timeline in
                [4, 6].allSatisfy { timeline.firstReply($0, from: successor.name, after: injected) != nil }
            }
            _ = await prober.stop()
            for family in [4, 6] {
                let figures = try #require(FailoverFigures(timeline, family: family, old: owner.name,
                                                           new: successor.name, injected: injected))
                print("failover after \(failure) of \(owner.name): \(figures)")
                #expect(lab.holds(figures.takeover <= FailoverLayer2LabTests.bound), "\(failure): \(figures)")
            }

            // The survivors agree, and the observer hears only the new owner.
            let survivors = Set(Layer2Lab.nodeNames).subtracting([owner.name])
            try await cluster.waitUntilSettled(owner: successor.name, live: survivors, within: .seconds(10))
            let arp = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(Layer2Cluster.only(successor, in: arp, atLeast: 3)),
                    "arping heard \(cluster.describe(arp))")
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
            #expect(lab.holds(Layer2Cluster.only(successor, in: ndp)), "ndisc6 heard \(cluster.describe(ndp))")
            for address in [IPAddress.v4(Layer2Lab.vip4), .v6(Layer2Lab.vip6)] {
                let entry = try await NeighborQueries.neighbor(lab, in: lab.client, address)
                #expect(lab.holds(entry?.lladdr == successor.mac),
                        "the client's entry for \(address): \(String(describing: entry))")
            }
        }
    }

    /// Make-before-break: the stopping owner keeps answering until it has seen the successor claim the VIPs. Right
    /// after lbd exits, the old node's echo server is stopped and the VIPs leave its `lo`: a probe still sent to the
    /// old node would be lost, so none lost proves the client had moved before the old owner let go.
    @Test("SIGTERM hands the VIPs over without losing a probe")
    func gracefulHandover() async throws {
        try await withLayer2Lab { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let (owner, successor) = (cluster.owner, cluster.successor)
            let prober = try await Prober.start(lab, from: lab.client)
            try await prober.wait(for: "steady replies from \(owner.name)", within: .seconds(10)) {
                $0.steady(on: owner.name, count: 20)
            }

            let injected = monotonicNanoseconds()
            let status = try await cluster.node(owner.name).terminate(within: .seconds(15))
            let exited = monotonicNanoseconds()
            await cluster.stopEcho(on: owner.name)
            try await lab.removeVIPs(from: owner, device: "lo")
            let cleared = monotonicNanoseconds()
            #expect(lab.holds(status == 0), "lbd on \(owner.name) exited with \(status) after SIGTERM")

            // Half a second of probes after the old node is gone: all must be the successor's.
            let timeline = try await prober.wait(for: "50 replies from \(successor.name) after \(owner.name) left",
                                                 within: .seconds(20)) { timeline in
                [4, 6].allSatisfy { family in
                    timeline.replies(family).filter { $0.t > cleared && $0.n == successor.name }.count >= 50
                }
            }
            _ = await prober.stop()
            print("SIGTERM of \(owner.name): lbd exited \(milliseconds(exited - injected)) after the signal, "
                  + "its echo and VIPs gone \(milliseconds(cleared - injected)) after")
            // Up to the last probes that had time to be answered (the prober was stopped at once).
            let lastSent = timeline.events.last { $0.e == "s" }?.t ?? cleared
            for family in [4, 6] {
                let first = timeline.firstReply(family, from: successor.name, after: injected)
                let lost = timeline.unanswered(family, sentFrom: injected, to: lastSent - 200_000_000)
                print("  IPv\(family): first reply from \(successor.name) "
                      + (first.map { milliseconds($0.t - injected) } ?? "never") + " after the signal, "
                      + "\(lost.count) probes lost")
                #expect(lab.holds(lost.isEmpty), "IPv\(family) probes without reply: \(lost); \(timeline.summary)")
                let late = timeline.replies(family).filter { $0.t > cleared && $0.n != successor.name }
                #expect(lab.holds(late.isEmpty),
                        "IPv\(family) replies from others after \(owner.name) left: \(late.count)")
            }
            try await cluster.waitUntilSettled(owner: successor.name,
                                               live: Set(Layer2Lab.nodeNames).subtracting([owner.name]),
                                               within: .seconds(10))
        }
    }
}
