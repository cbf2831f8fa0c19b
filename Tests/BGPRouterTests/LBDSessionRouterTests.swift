import Foundation
import LabKit
import LBKernel
import Testing

/// lbd as the speaker, each router as its peer: the session comes up over IPv4 and IPv6 transport, and the router's
/// RIB shows exactly the announced prefixes with next hop, AS path, communities, large communities and (iBGP) local
/// preference; tshark decodes every message of the session.
@Suite(.serialized)
struct LBDSessionRouterTests {
    @Test("lbd's routes arrive at the router with their attributes; the capture is clean",
          arguments: RouterKind.allCases, [(IPFamily.ipv4, false), (.ipv6, false), (.ipv4, true), (.ipv6, true)])
    func routesArriveWithAttributes(router kind: RouterKind, session: (family: IPFamily, iBGP: Bool)) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: session.family, iBGP: session.iBGP)
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor())
            let services = LBDScenario.services(session.family)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(scenario.lbdPeer(), services: services))
            try lbd.start()

            try await router.waitForSession(with: lab.speaker.address(session.family))
            let routes = try await router.waitForPrefixes(LBDScenario.prefixes(services), session.family)
            #expect(routes.ignoring(scenario.ignored)
                    == scenario.expectedRoutes(services, router: kind).ignoring(scenario.ignored))
            let other: IPFamily = session.family == .ipv4 ? .ipv6 : .ipv4
            #expect(try await router.routes(other).isEmpty)

            await lbd.stop()
            try await router.waitForPrefixes([], session.family, within: .seconds(10))
            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
            let sent = try await capture.messages().filter { $0.source == lab.speaker.address(session.family) }
            #expect(sent.contains { $0.type == 1 } && sent.contains { $0.type == 2 }, "lbd sent \(sent)")
            #expect(sent.last?.type == 3, "lbd's last message is a Cease NOTIFICATION: \(sent.suffix(3))")
        }
    }

    @Test("two sessions with one router, over IPv4 and IPv6: each family's routes over its own session",
          arguments: RouterKind.allCases)
    func dualSessions(router kind: RouterKind) async throws {
        try await withLab { lab in
            let v4 = LBDScenario(lab: lab, family: .ipv4, iBGP: false)
            let v6 = LBDScenario(lab: lab, family: .ipv6, iBGP: false)
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try makeRouter(kind, in: lab, on: lab.router, configuration: RouterConfiguration(
                asn: LBDScenario.routerASN, routerID: lab.router.routerID,
                neighbors: [v4.routerNeighbor(), v6.routerNeighbor()]))
            try await router.start()
            let services4 = LBDScenario.services(.ipv4), services6 = LBDScenario.services(.ipv6)
            var peer4 = v4.lbdPeer(), peer6 = v6.lbdPeer()
            peer4.name = "router-v4"
            peer6.name = "router-v6"
            let lbd = try LBDSpeaker(lab: lab, policy: LBDPolicy(
                peers: [peer4, peer6], advertisements: [LBDScenario.advertisement], communities: LBDScenario.aliases,
                services: services4 + services6))
            try lbd.start()

            try await router.waitForSession(with: lab.speaker.address(.ipv4))
            try await router.waitForSession(with: lab.speaker.address(.ipv6))
            let routes4 = try await router.waitForPrefixes(LBDScenario.prefixes(services4), .ipv4)
            let routes6 = try await router.waitForPrefixes(LBDScenario.prefixes(services6), .ipv6)
            #expect(routes4.ignoring(v4.ignored) == v4.expectedRoutes(services4, router: kind).ignoring(v4.ignored))
            #expect(routes6.ignoring(v6.ignored) == v6.expectedRoutes(services6, router: kind).ignoring(v6.ignored))
            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
        }
    }

    /// GoBGP waits 5–9 s before it connects (bgp-baseline.md pitfall 2), hence the longer wait.
    @Test("a passive peer: lbd listens and the router connects", arguments: RouterKind.allCases)
    func passivePeer(router kind: RouterKind) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: .ipv6, iBGP: false)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor(passive: false))
            let services = LBDScenario.services(.ipv6)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(scenario.lbdPeer(passive: true),
                                                                       services: services))
            try lbd.start()
            try await router.waitForSession(with: lab.speaker.address(.ipv6), within: .seconds(40))
            let routes = try await router.waitForPrefixes(LBDScenario.prefixes(services), .ipv6)
            #expect(routes.ignoring(scenario.ignored)
                    == scenario.expectedRoutes(services, router: kind).ignoring(scenario.ignored))
            // Nothing in lbd's namespace connects out to port 179: the session is the router's connection.
            let sockets = try await lab.run(["ss", "-Htn", "state", "established", "( dport = :179 )"],
                                            in: lab.speaker).stdout
            #expect(sockets.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "lbd connected out: \(sockets)")
        }
    }
}
