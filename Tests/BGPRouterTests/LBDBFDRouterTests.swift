import Foundation
import LabKit
import LBKernel
import Testing

/// BFD with the real lbd binary against FRR (bgpd and bfdd, `neighbor X bfd` with a matching profile): when the
/// link dies silently (every packet dropped both ways, carrier up), the BGP session goes down on both sides within
/// the BFD Detection Time, far below the 90 s hold time, and comes back with its route when the link does. Without
/// BFD the same cut leaves the session Established for as long: the fast teardown is BFD's.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct LBDBFDRouterTests {
    /// The profile on both sides: 100 ms intervals, Detect Mult 3.
    static let bfd = BFDSettings(receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3)
    /// lbd's name for it.
    static let profileName = "lbdt-fast"
    /// Detection Time on both sides (RFC 5880 §6.8.4): 3 × max(100 ms, 100 ms).
    static let detectionTime: Duration = .milliseconds(300)
    /// The bound for everything that follows the cut: the Detection Time plus what a loaded 2-core CI machine may
    /// add (timer wake-ups, bgpd hearing bfdd over zebra, one vtysh call per reading, lbd writing its log).
    static let limit: Duration = .seconds(3)
    /// A hold time only a working keepalive path can satisfy for long, and far above `limit`.
    static let holdTime = 90
    /// lbd's peer name, which its log lines carry.
    static let peerName = "router"

    @Test("a silent link failure takes the BGP session down within the BFD Detection Time; it comes back with the link",
          arguments: IPFamily.allCases)
    func silentLinkFailureIsDetectedByBFD(family: IPFamily) async throws {
        try await withLab { lab in
            let setup = try await Self.start(lab, family, bfd: true)
            let (router, lbd, prefixes) = (setup.router, setup.lbd, setup.prefixes)
            let lbdAddress = lab.speaker.address(family)
            #expect(try await router.bfdState(with: lbdAddress) == "up")
            #expect(Self.lines(lbd, Self.bfdDown).isEmpty, "BFD went down before the cut:\n\(lbd.log)")

            let clock = ContinuousClock()
            let cutAt = clock.now
            try await lab.cutLink(.silent)
            // The four observations run side by side, each timed from the cut.
            async let sessionLeft = Self.elapsed(since: cutAt, "FRR's session with lbd to leave Established") {
                try await router.sessionState(with: lbdAddress) != .established
            }
            async let routeGone = Self.elapsed(since: cutAt, "lbd's route to leave FRR's RIB") {
                try await router.routes(family).prefixes.isEmpty
            }
            async let lbdBFDDown = Self.elapsed(since: cutAt, "`BFD Up -> Down` in lbd's log",
                                                every: .milliseconds(20)) {
                !Self.lines(lbd, Self.bfdDown).isEmpty
            }
            async let lbdSessionDown = Self.elapsed(since: cutAt, "`session down: stopped: BFD down` in lbd's log",
                                                    every: .milliseconds(20)) {
                !Self.lines(lbd, Self.sessionDownByBFD).isEmpty
            }
            let times = try await (frrSession: sessionLeft, frrRoute: routeGone, lbdBFD: lbdBFDDown,
                                   lbdSession: lbdSessionDown)
            print("BFD \(family) silent cut (Detection Time \(Self.detectionTime), limit \(Self.limit), hold time "
                  + "\(Self.holdTime) s): FRR's session left Established after \(times.frrSession), its route went "
                  + "after \(times.frrRoute); lbd logged BFD Down after \(times.lbdBFD) and its session down after "
                  + "\(times.lbdSession)")
            for (what, time) in [("FRR's session left Established", times.frrSession),
                                 ("FRR's route went", times.frrRoute), ("lbd's BFD went Down", times.lbdBFD),
                                 ("lbd's BGP session went down", times.lbdSession)] {
                #expect(time <= Self.limit, "\(what) \(time) after the cut, more than \(Self.limit)")
            }
            // Why each side went down: lbd's Detection Time expired, then its BGP session stopped for BFD (RFC 5882
            // §4.3). FRR's bgpd heard it from its own bfdd and sent Cease subcode 10 (RFC 9384), which the cut link
            // dropped, as it dropped lbd's.
            let bfdLines = Self.lines(lbd, Self.bfdDown)
            #expect(bfdLines.count == 1 && bfdLines.allSatisfy { $0.contains("Control Detection Time Expired") },
                    "lbd's BFD Down lines: \(bfdLines)")
            #expect(Self.lines(lbd, "hold timer expired").isEmpty)
            #expect(try await router.bfdState(with: lbdAddress) == "down")
            let notification = try await Self.lastNotification(router, lbdAddress)
            #expect(notification.code == "060A" && notification.reason == "Cease/BFD Down",
                    "FRR's last NOTIFICATION on the session: \(notification)")

            // Still down a while later: nothing passes, whatever lbd and bgpd retry.
            try await router.expectNoSession(with: lbdAddress, for: .seconds(2))

            let restoredAt = clock.now
            try await lab.restoreLink()
            try await router.waitForSession(with: lbdAddress)
            try await router.waitForPrefixes(prefixes, family)
            try await poll("FRR's BFD session with lbd to come Up again", within: .seconds(10)) { () -> Bool? in
                try await router.bfdState(with: lbdAddress) == "up" ? true : nil
            }
            print("BFD \(family): session, route and BFD back \(clock.now - restoredAt) after the link came back")
            #expect(Self.lines(lbd, "-> Established (").count == 2, "lbd established twice:\n\(lbd.log)")
            try lbd.requireRunning()
        }
    }

    @Test("without BFD the same silent cut leaves the session Established (the hold time is 90 s)",
          arguments: IPFamily.allCases)
    func withoutBFDTheSessionOutlivesTheCut(family: IPFamily) async throws {
        try await withLab { lab in
            let setup = try await Self.start(lab, family, bfd: false)
            let (router, lbd, prefixes) = (setup.router, setup.lbd, setup.prefixes)
            let lbdAddress = lab.speaker.address(family)

            try await lab.cutLink(.silent)
            // The whole bound of the BFD test, and a second more: Established, the route there, lbd's session up.
            let clock = ContinuousClock()
            let cutAt = clock.now
            let end = cutAt.advanced(by: Self.limit + .seconds(1))
            var readings = 0
            while clock.now < end {
                try router.requireRunning()
                try lbd.requireRunning()
                let state = try await router.sessionState(with: lbdAddress)
                let routes = try await router.routes(family)
                guard state == .established, routes.prefixes == prefixes else {
                    let after = clock.now - cutAt
                    Issue.record("without BFD, \(after) after the cut FRR's session is \(state), routes \(routes)")
                    break
                }
                readings += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(readings >= 5, "FRR read \(readings) times in \(Self.limit + .seconds(1))")
            #expect(Self.lines(lbd, "session down").isEmpty, "lbd's session went down without BFD:\n\(lbd.log)")
            #expect(Self.lines(lbd, "BFD").isEmpty, "lbd ran BFD without a profile:\n\(lbd.log)")

            try await lab.restoreLink()
            try await router.waitForSession(with: lbdAddress)
            try await router.waitForPrefixes(prefixes, family)
            try lbd.requireRunning()
        }
    }

    // MARK: Steps

    /// The text of lbd's log line for its BFD session going from Up to Down.
    static let bfdDown = "BGP peer \(peerName): BFD Up -> Down"
    /// The text of lbd's log line for its BGP session stopped because BFD went down.
    static let sessionDownByBFD = "BGP peer \(peerName): session down: stopped: BFD down"

    /// FRR with lbd as its neighbour (passive, hold time 90 s, BFD with `bfd` if asked) and lbd announcing one
    /// service with the same hold time and, if asked, the same BFD profile; returns once the session is
    /// Established, the route is in FRR's RIB and (with BFD) both sides' BFD sessions are Up.
    static func start(_ lab: NetworkLab, _ family: IPFamily, bfd: Bool) async throws
        -> (router: FRRRouter, lbd: LBDSpeaker, prefixes: [IPPrefix]) {
        let scenario = LBDScenario(lab: lab, family: family, iBGP: false)
        var neighbor = scenario.routerNeighbor(holdTime: holdTime)
        neighbor.bfd = bfd ? Self.bfd : nil
        let router = try FRRRouter(lab: lab, node: lab.router, configuration: RouterConfiguration(
            asn: scenario.routerASN, routerID: lab.router.routerID, neighbors: [neighbor]))
        try await router.start()

        let services = LBDScenario.services(family, count: 1)
        var peer = scenario.lbdPeer(holdTime: holdTime)
        peer.name = peerName
        var policy = scenario.policy(peer, services: services)
        if bfd {
            policy.peers[0].bfdProfile = profileName
            policy.extra = """
                bfdProfiles:
                  - name: \(profileName)
                    receiveInterval: \(Self.bfd.receiveInterval)
                    transmitInterval: \(Self.bfd.transmitInterval)
                    detectMultiplier: \(Self.bfd.detectMultiplier)

                """
        }
        let lbd = try LBDSpeaker(lab: lab, policy: policy)
        try lbd.start()

        let lbdAddress = lab.speaker.address(family)
        try await router.waitForSession(with: lbdAddress)
        let prefixes = LBDScenario.prefixes(services)
        try await router.waitForPrefixes(prefixes, family)
        if bfd {
            try await poll("FRR's BFD session with lbd to be Up (bfdd log in \(lab.directory.path))",
                           within: .seconds(15), abortIf: { try router.requireRunning() }) { () -> Bool? in
                try await router.bfdState(with: lbdAddress) == "up" ? true : nil
            }
            try await lbd.current?.waitForLog("lbd's BFD session Up", within: .seconds(10)) {
                $0.contains("BGP peer \(peerName): BFD") && $0.contains("-> Up")
            }
        }
        return (router, lbd, prefixes)
    }

    /// Polls `condition` until it holds and returns how long after `start` it first did; fails after `limit`.
    static func elapsed(since start: ContinuousClock.Instant, _ what: String, within limit: Duration = .seconds(15),
                        every interval: Duration = .milliseconds(50),
                        _ condition: @Sendable () async throws -> Bool) async throws -> Duration {
        try await poll(what, within: limit, every: interval) { () -> Duration? in
            try await condition() ? ContinuousClock.now - start : nil
        }
    }

    /// lbd's log lines (every start) containing `text`.
    static func lines(_ lbd: LBDSpeaker, _ text: String) -> [String] {
        lbd.log.split(separator: "\n").filter { $0.contains(text) }.map(String.init)
    }

    /// The last NOTIFICATION of FRR's session with `neighbor` (`show bgp neighbors <addr> json`): its code and
    /// subcode in hex (`060A`) and FRR's words for it (`Cease/BFD Down`).
    static func lastNotification(_ router: FRRRouter, _ neighbor: IPAddress) async throws
        -> (code: String?, reason: String?) {
        let json = try await router.vtysh("show bgp neighbors \(neighbor) json")
        let root = try FRRRouteParser.object(json, "show bgp neighbors \(neighbor) json")
        let entry = root["\(neighbor)"] as? [String: Any] ?? root.values.first as? [String: Any]
        return (entry?["lastErrorCodeSubcode"] as? String, entry?["lastNotificationReason"] as? String)
    }
}
