import Foundation
import LBKernel
import Testing

/// What lbd announces follows its files: a service removed from the watched services file is withdrawn, one added
/// is announced; TCP-MD5 from the peer's `password`.
@Suite(.serialized)
struct LBDPolicyRouterTests {
    @Test("a service removed from the services file is withdrawn, one added is announced",
          arguments: RouterKind.allCases, IPFamily.allCases)
    func withdrawal(router kind: RouterKind, family: IPFamily) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: family, iBGP: false)
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor())
            let services = LBDScenario.services(family, count: 4)
            let peer = scenario.lbdPeer()
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(peer, services: services))
            try lbd.start()
            try await router.waitForPrefixes(LBDScenario.prefixes(services), family)

            let kept = [services[0], services[2]]
            try lbd.writePolicy(scenario.policy(peer, services: kept))
            let routes = try await router.waitForPrefixes(LBDScenario.prefixes(kept), family)
            #expect(routes.ignoring(scenario.ignored)
                    == scenario.expectedRoutes(kept, router: kind).ignoring(scenario.ignored))

            try lbd.writePolicy(scenario.policy(peer, services: []))
            try await router.waitForPrefixes([], family)
            try await router.waitForSession(with: lab.speaker.address(family))

            try lbd.writePolicy(scenario.policy(peer, services: [services[3]]))
            try await router.waitForPrefixes(LBDScenario.prefixes([services[3]]), family)
            try lbd.requireRunning()

            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
        }
    }

    @Test("TCP-MD5: the right password brings the session up, a wrong one never does",
          arguments: RouterKind.allCases, [true, false])
    func md5(router kind: RouterKind, matching: Bool) async throws {
        try await withLab { lab in
            let family = IPFamily.ipv4
            let scenario = LBDScenario(lab: lab, family: family, iBGP: false)
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor(password: "lbd-secret"))
            let services = LBDScenario.services(family)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(
                scenario.lbdPeer(password: matching ? "lbd-secret" : "wrong-secret"), services: services))
            try lbd.start()
            if matching {
                try await router.waitForSession(with: lab.speaker.address(family))
                try await router.waitForPrefixes(LBDScenario.prefixes(services), family)
                let problems = try await capture.problems()
                #expect(problems.isEmpty, "tshark: \(problems)")
            } else {
                // lbd retries every 0.5–2 s: several attempts fall in this window, none may succeed.
                try await router.expectNoSession(with: lab.speaker.address(family), for: .seconds(6))
                #expect(try await router.routes(family).isEmpty)
                try lbd.requireRunning()
                let messages = try await capture.messages()
                #expect(messages.isEmpty, "no BGP message may pass: \(messages)")
            }
        }
    }
}
