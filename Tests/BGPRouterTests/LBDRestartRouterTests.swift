import Foundation
import LBKernel
import Testing

/// Restarts on either side: the router restarting (lbd reconnects and sends everything again), lbd killed with and
/// without graceful restart (the router keeps the routes as stale until lbd's End-of-RIB, or drops them at once).
@Suite(.serialized)
struct LBDRestartRouterTests {
    /// How the router goes away.
    enum RouterStop: String, Sendable, CaseIterable, CustomStringConvertible {
        /// SIGTERM: the router closes the session with a Cease.
        case stop
        /// SIGKILL: the kernel closes the TCP connection, no NOTIFICATION.
        case kill

        var description: String { rawValue }
    }

    @Test("the router restarting: lbd reconnects and announces everything again",
          arguments: RouterKind.allCases, RouterStop.allCases)
    func routerRestart(router kind: RouterKind, how: RouterStop) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: .ipv4, iBGP: false)
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor())
            let services = LBDScenario.services(.ipv4)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(scenario.lbdPeer(), services: services))
            try lbd.start()
            try await router.waitForSession(with: lab.speaker.address(.ipv4))
            try await router.waitForPrefixes(LBDScenario.prefixes(services), .ipv4)

            switch how {
            case .stop: await router.stop()
            case .kill: await router.kill()
            }
            try await router.start()
            try await router.waitForSession(with: lab.speaker.address(.ipv4))
            let routes = try await router.waitForPrefixes(LBDScenario.prefixes(services), .ipv4)
            #expect(routes.ignoring(scenario.ignored)
                    == scenario.expectedRoutes(services, router: kind).ignoring(scenario.ignored))
            try lbd.requireRunning()

            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
            let opens = try await capture.messages().filter { $0.source == lab.speaker.address(.ipv4) && $0.type == 1 }
            #expect(opens.count >= 2, "lbd opened the session again: \(opens)")
        }
    }

    /// The router keeps the routes as stale until lbd's End-of-RIB, and they are never missing in between.
    @Test("lbd killed and restarted with graceful restart: the router keeps its routes",
          arguments: RouterKind.allCases, IPFamily.allCases)
    func gracefulRestart(router kind: RouterKind, family: IPFamily) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: family, iBGP: false)
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let restart = GracefulRestartSettings(restartTime: 120, stalePathTime: 120)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor(gracefulRestart: restart))
            let services = LBDScenario.services(family)
            let prefixes = LBDScenario.prefixes(services)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(scenario.lbdPeer(gracefulRestart: true),
                                                                       services: services))
            try lbd.start()
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForRoutes(family, "the announced routes, fresh") {
                $0.prefixes == prefixes && !$0.contains(where: \.stale)
            }

            let (_, watch) = try await RIBWatch.watching(router, family, for: prefixes, every: .milliseconds(10)) {
                await lbd.kill()
                try await router.waitForSession(with: lab.speaker.address(family), established: false)
                try await router.waitForRoutes(family, "the announced routes kept as stale") {
                    $0.prefixes == prefixes && $0.allSatisfy(\.stale)
                }
                try lbd.start()
                try await router.waitForSession(with: lab.speaker.address(family))
                try await router.waitForRoutes(family, "the announced routes, fresh again") {
                    $0.prefixes == prefixes && !$0.contains(where: \.stale)
                }
            }
            #expect(watch.gaps.isEmpty, "routes missing while lbd restarted: \(watch.gaps)")
            // lbd is back within a second or so; on a loaded machine the watch (each reading runs the router's CLI)
            // may read only once in that time. The waits above saw the routes stale, then fresh: the watch adds
            // that no reading in between found one missing.
            #expect(watch.readings >= 1)
            let routes = try await router.routes(family)
            #expect(routes.ignoring(scenario.ignored)
                    == scenario.expectedRoutes(services, router: kind).ignoring(scenario.ignored))

            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
            // The restarted lbd's session: OPEN, the table, then End-of-RIB.
            let sent = try await capture.messages().filter { $0.source == lab.speaker.address(family) }
            let secondOpen = sent.indices.filter { sent[$0].type == 1 }.dropFirst().first
            #expect(secondOpen.map { sent[$0...].contains(where: \.isEndOfRIB) } == true,
                    "End-of-RIB after the second OPEN: \(sent)")
        }
    }

    /// A planned restart with `keepRoutesOnShutdown`: SIGTERM closes the session without a NOTIFICATION, so the
    /// router keeps the routes as stale and the restarted lbd refreshes them; without the key SIGTERM withdraws.
    @Test("lbd stopped (SIGTERM) with keepRoutesOnShutdown: the router keeps the routes; without it they go",
          arguments: RouterKind.allCases, [true, false])
    func sigtermWithKeepRoutesOnShutdown(router kind: RouterKind, keep: Bool) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: .ipv4, iBGP: false)
            let restart = GracefulRestartSettings(restartTime: 120, stalePathTime: 120)
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor(gracefulRestart: restart))
            let services = LBDScenario.services(.ipv4)
            let prefixes = LBDScenario.prefixes(services)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(scenario.lbdPeer(gracefulRestart: true),
                                                                       services: services),
                                     bgpPlugin: LBDSpeaker.defaultBGPPlugin + "keepRoutesOnShutdown: \(keep)\n")
            try lbd.start()
            try await router.waitForRoutes(.ipv4, "the announced routes, fresh") {
                $0.prefixes == prefixes && !$0.contains(where: \.stale)
            }
            await lbd.stop()
            try await router.waitForSession(with: lab.speaker.address(.ipv4), established: false)
            if keep {
                try await router.waitForRoutes(.ipv4, "the announced routes kept as stale after SIGTERM") {
                    $0.prefixes == prefixes && $0.allSatisfy(\.stale)
                }
                try lbd.start()
                try await router.waitForRoutes(.ipv4, "the announced routes, fresh again") {
                    $0.prefixes == prefixes && !$0.contains(where: \.stale)
                }
            } else {
                // The Cease withdraws everything at once, graceful restart or not (no N bit, RFC 8538).
                try await router.waitForPrefixes([], .ipv4, within: .seconds(4))
            }
        }
    }

    @Test("lbd killed without graceful restart: the router drops the routes at once; lbd back: routes back",
          arguments: RouterKind.allCases)
    func killWithoutGracefulRestart(router kind: RouterKind) async throws {
        try await withLab { lab in
            let scenario = LBDScenario(lab: lab, family: .ipv6, iBGP: false)
            // A long hold time: the routes must go because the kernel closes lbd's connection, not by the hold timer.
            let router = try await scenario.startRouter(kind, scenario.routerNeighbor(holdTime: 60))
            let services = LBDScenario.services(.ipv6)
            let prefixes = LBDScenario.prefixes(services)
            let lbd = try LBDSpeaker(lab: lab, policy: scenario.policy(scenario.lbdPeer(holdTime: 60),
                                                                       services: services))
            try lbd.start()
            try await router.waitForPrefixes(prefixes, .ipv6)

            await lbd.kill()
            try await router.waitForPrefixes([], .ipv6, within: .seconds(15))
            try lbd.start()
            try await router.waitForPrefixes(prefixes, .ipv6)
        }
    }
}
