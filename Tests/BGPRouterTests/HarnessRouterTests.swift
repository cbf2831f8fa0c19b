import Foundation
import LabKit
import LBKernel
import Synchronization
import Testing

/// The harness tested without lbd: a router plays the speaker (static routes with communities, large communities,
/// MED and local preference) and each receiver's adapter must read exactly what was sent, over IPv4 and IPv6
/// transport, with and without TCP-MD5; every capture must decode cleanly.
@Suite(.serialized)
struct HarnessRouterTests {
    static let speakerASN: UInt32 = 64500
    static let routerASN: UInt32 = 64501

    /// Two routes per family: one with every attribute the acceptance tests check, one with none.
    ///
    /// BIRD sends MED to iBGP neighbours only (it strips it on eBGP export), so `med` is for iBGP tests.
    static func announcements(_ family: IPFamily, localPref: UInt32? = nil, med: UInt32? = nil)
        -> [StaticAnnouncement] {
        let prefixes = family == .ipv4 ? ["198.18.0.1/32", "198.18.7.0/24"] : ["2001:2::1/128", "2001:2:7::/48"]
        return [
            StaticAnnouncement(prefix: IPPrefix(prefixes[0])!,
                               communities: [.standard(64500, 100), .standard(0xFFFF, 0xFF01), .large(64500, 1, 2),
                                             .large(4_200_000_000, 7, 8)],
                               localPref: localPref, med: med),
            StaticAnnouncement(prefix: IPPrefix(prefixes[1])!, localPref: localPref),
        ]
    }

    /// What a receiver must show for `announcements` sent by the lab's speaker.
    static func expected(_ lab: NetworkLab, _ family: IPFamily, _ announcements: [StaticAnnouncement],
                         asPath: [UInt32], localPref: Bool) -> [RouterRoute] {
        announcements.map { announcement in
            RouterRoute(prefix: announcement.prefix, nextHop: lab.speaker.address(family), asPath: asPath,
                        origin: "IGP", med: announcement.med,
                        localPref: localPref ? (announcement.localPref ?? 100) : nil,
                        communities: announcement.communities.sorted(), peer: lab.speaker.address(family))
        }.sorted()
    }

    @Test("a receiver reads a BIRD speaker's eBGP routes with their attributes; the capture is clean",
          arguments: RouterKind.allCases, IPFamily.allCases)
    func receiverReadsEBGPRoutes(receiver: RouterKind, family: IPFamily) async throws {
        try await withLab { lab in
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try makeRouter(receiver, in: lab, on: lab.router, configuration: RouterConfiguration(
                asn: Self.routerASN, routerID: lab.router.routerID,
                neighbors: [.speaker(of: lab, over: family, asn: Self.speakerASN)]))
            try await router.start()
            let announcements = Self.announcements(family)
            let speaker = try BIRDRouter(lab: lab, node: lab.speaker, configuration: RouterConfiguration(
                asn: Self.speakerASN, routerID: lab.speaker.routerID,
                neighbors: [.router(of: lab, over: family, asn: Self.routerASN)], announcements: announcements))
            try await speaker.start()

            try await router.waitForSession(with: lab.speaker.address(family))
            let routes = try await router.waitForPrefixes(announcements.map(\.prefix), family)
            #expect(routes.ignoring([.linkLocalNextHop, .localPref])
                    == Self.expected(lab, family, announcements, asPath: [Self.speakerASN], localPref: false))
            if family == .ipv6, receiver != .gobgp {
                #expect(routes.allSatisfy { $0.linkLocalNextHop == .v6(lab.speaker.linkLocal) })
            }
            #expect(try await router.routes(family == .ipv4 ? .ipv6 : .ipv4).isEmpty)

            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
            let updates = try await capture.messages().filter { $0.type == 2 && $0.source == lab.speaker.address(family) }
            #expect(!updates.isEmpty)
        }
    }

    /// A lab with `receiver` in the router namespace and a BIRD speaker announcing `announcements`, both started.
    static func start(_ lab: NetworkLab, receiver: RouterKind, family: IPFamily, speakerASN: UInt32 = speakerASN,
                      announcements: [StaticAnnouncement], routerSide: RouterNeighbor? = nil,
                      speakerSide: RouterNeighbor? = nil) async throws -> (router: any Router, speaker: BIRDRouter) {
        let router = try makeRouter(receiver, in: lab, on: lab.router, configuration: RouterConfiguration(
            asn: Self.routerASN, routerID: lab.router.routerID,
            neighbors: [routerSide ?? .speaker(of: lab, over: family, asn: speakerASN)]))
        try await router.start()
        let speaker = try BIRDRouter(lab: lab, node: lab.speaker, configuration: RouterConfiguration(
            asn: speakerASN, routerID: lab.speaker.routerID,
            neighbors: [speakerSide ?? .router(of: lab, over: family, asn: Self.routerASN)],
            announcements: announcements))
        try await speaker.start()
        return (router, speaker)
    }

    @Test("a receiver reads LOCAL_PREF and MED over iBGP", arguments: RouterKind.allCases, IPFamily.allCases)
    func receiverReadsIBGPAttributes(receiver: RouterKind, family: IPFamily) async throws {
        try await withLab { lab in
            let announcements = Self.announcements(family, localPref: 250, med: 10)
            let (router, _) = try await Self.start(lab, receiver: receiver, family: family, speakerASN: Self.routerASN,
                                                   announcements: announcements)
            try await router.waitForSession(with: lab.speaker.address(family))
            let routes = try await router.waitForPrefixes(announcements.map(\.prefix), family)
            #expect(routes.ignoring([.linkLocalNextHop])
                    == Self.expected(lab, family, announcements, asPath: [], localPref: true))
        }
    }

    @Test("TCP-MD5: a matching password brings the session up, a wrong one never does",
          arguments: RouterKind.allCases, [true, false])
    func md5(receiver: RouterKind, matching: Bool) async throws {
        try await withLab { lab in
            let family = IPFamily.ipv4
            let (router, _) = try await Self.start(
                lab, receiver: receiver, family: family, announcements: Self.announcements(family),
                routerSide: .speaker(of: lab, over: family, asn: Self.speakerASN, password: "lbd-secret"),
                speakerSide: .router(of: lab, over: family, asn: Self.routerASN,
                                     password: matching ? "lbd-secret" : "not-the-secret"))
            if matching {
                try await router.waitForSession(with: lab.speaker.address(family))
                try await router.waitForPrefixes(Self.announcements(family).map(\.prefix), family)
            } else {
                // BIRD connects every second: several attempts fall in this window.
                try await router.expectNoSession(with: lab.speaker.address(family), for: .seconds(5))
                #expect(try await router.routes(family).isEmpty)
            }
        }
    }

    @Test("graceful restart: a receiver keeps a killed speaker's routes as stale until the speaker is back",
          arguments: RouterKind.allCases)
    func gracefulRestartKeepsStaleRoutes(receiver: RouterKind) async throws {
        try await withLab { lab in
            let family = IPFamily.ipv4
            let announcements = Self.announcements(family)
            let restart = GracefulRestartSettings(restartTime: 60, stalePathTime: 60)
            let (router, speaker) = try await Self.start(
                lab, receiver: receiver, family: family, announcements: announcements,
                routerSide: .speaker(of: lab, over: family, asn: Self.speakerASN, gracefulRestart: restart),
                speakerSide: .router(of: lab, over: family, asn: Self.routerASN, gracefulRestart: restart))
            let prefixes = announcements.map(\.prefix)
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForRoutes(family, "the announced routes, fresh") {
                $0.prefixes == prefixes.sorted() && $0.allSatisfy { !$0.stale }
            }
            await speaker.kill()
            try await router.waitForSession(with: lab.speaker.address(family), established: false)
            try await router.waitForRoutes(family, "the announced routes, stale") {
                $0.prefixes == prefixes.sorted() && $0.allSatisfy(\.stale)
            }
            try await speaker.start(recovering: true)
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForRoutes(family, "the announced routes, fresh again") {
                $0.prefixes == prefixes.sorted() && $0.allSatisfy { !$0.stale }
            }
        }
    }

    @Test("without graceful restart a killed speaker's routes go at once; a stopped receiver comes back with them",
          arguments: RouterKind.allCases)
    func restarts(receiver: RouterKind) async throws {
        try await withLab { lab in
            let family = IPFamily.ipv6
            let announcements = Self.announcements(family)
            // A long hold time: the routes must go because the connection closes, not because the hold timer ran out.
            let (router, speaker) = try await Self.start(
                lab, receiver: receiver, family: family, announcements: announcements,
                routerSide: .speaker(of: lab, over: family, asn: Self.speakerASN, holdTime: 60),
                speakerSide: .router(of: lab, over: family, asn: Self.routerASN, holdTime: 60))
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForPrefixes(announcements.map(\.prefix), family)

            try await router.restart()
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForPrefixes(announcements.map(\.prefix), family)

            // The watch that proves "never missing" elsewhere must see this gap.
            let (_, watch) = try await RIBWatch.watching(router, family, for: announcements.map(\.prefix)) {
                await speaker.kill()
                try await router.waitForPrefixes([], family, within: .seconds(15))
            }
            #expect(!watch.gaps.isEmpty && watch.errors.isEmpty)
        }
    }

    /// The session ends at once when the link goes down, after the hold time when it goes silent.
    @Test("cutting the link ends the session; restoring it brings the session back",
          arguments: [LinkCut.down, .silent])
    func linkCut(how: LinkCut) async throws {
        try await withLab { lab in
            let family = IPFamily.ipv4
            let announcements = Self.announcements(family)
            let holdTime = 3
            let (router, _) = try await Self.start(
                lab, receiver: .frr, family: family, announcements: announcements,
                routerSide: .speaker(of: lab, over: family, asn: Self.speakerASN, holdTime: holdTime),
                speakerSide: .router(of: lab, over: family, asn: Self.routerASN, holdTime: holdTime))
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForPrefixes(announcements.map(\.prefix), family)

            let clock = ContinuousClock()
            let cutAt = clock.now
            try await lab.cutLink(how)
            try await router.waitForSession(with: lab.speaker.address(family), established: false,
                                            within: .seconds(holdTime * 3))
            let detection = cutAt.duration(to: clock.now)
            if how == .silent {
                #expect(detection >= .seconds(holdTime - holdTime / 3 - 1), "went down after \(detection)")
            }
            try await lab.restoreLink()
            try await router.waitForSession(with: lab.speaker.address(family), within: .seconds(30))
            try await router.waitForPrefixes(announcements.map(\.prefix), family)
        }
    }

    struct Deliberate: Error {}

    @Test("withLab deletes its namespaces and kills its processes even when the test throws")
    func labCleansUp() async throws {
        let seen = Mutex<(namespaces: [String], pids: [Int32], directory: URL?)>(([], [], nil))
        await #expect(throws: Deliberate.self) {
            try await withLab { lab in
                let sleeper = try lab.spawn("sleeper", ["sleep", "600"], in: lab.speaker)
                let linkLocal = try await lab.waitForLinkLocal(lab.router)
                #expect(linkLocal == lab.router.linkLocal && lab.router.linkLocal.value >> 118 == 0x3FA)
                let addresses = try await lab.run(["ip", "-o", "addr", "show", "dev", lab.speaker.interface],
                                                  in: lab.speaker).stdout
                #expect(addresses.contains("\(lab.speaker.ipv4)/24") && addresses.contains("\(lab.speaker.ipv6)/64"))
                let dad = try await lab.run(["cat", "/proc/sys/net/ipv6/conf/\(lab.router.interface)/accept_dad"],
                                            in: lab.router).stdout
                #expect(dad.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
                seen.withLock { $0 = ([lab.router.namespace, lab.speaker.namespace], [sleeper.pid], lab.directory) }
                throw Deliberate()
            }
        }
        let (namespaces, pids, directory) = seen.withLock { $0 }
        let listed = try await Command.check(["ip", "netns", "list"]).stdout
        #expect(namespaces.count == 2 && namespaces.allSatisfy { !listed.contains($0) })
        #expect(pids.count == 1 && pids.allSatisfy { kill($0, 0) != 0 })
        if !LabTeardown.keepsDirectories {
            #expect(directory.map { !FileManager.default.fileExists(atPath: $0.path) } == true)
        }
    }

    /// Long before the hold time would.
    @Test("BFD (FRR's bfdd and BIRD's) brings the BGP session down when the link goes silent")
    func bfdBetweenFRRAndBIRD() async throws {
        try await withLab { lab in
            let family = IPFamily.ipv4
            let bfd = BFDSettings(receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3)
            let announcements = Self.announcements(family)
            let (router, speaker) = try await Self.start(
                lab, receiver: .frr, family: family, announcements: announcements,
                routerSide: .speaker(of: lab, over: family, asn: Self.speakerASN, holdTime: 30, bfd: bfd),
                speakerSide: .router(of: lab, over: family, asn: Self.routerASN, holdTime: 30, bfd: bfd))
            let frr = try #require(router as? FRRRouter)
            try await router.waitForSession(with: lab.speaker.address(family))
            try await router.waitForPrefixes(announcements.map(\.prefix), family)
            try await poll("both BFD sessions up", within: .seconds(15)) { () -> Bool? in
                let states = (try await frr.bfdState(with: lab.speaker.address(family)),
                              try await speaker.bfdState(with: lab.router.address(family)))
                return states == ("up", "Up") ? true : nil
            }

            let clock = ContinuousClock()
            let cutAt = clock.now
            try await lab.cutLink(.silent)
            try await router.waitForSession(with: lab.speaker.address(family), established: false,
                                            within: .seconds(10))
            let detection = cutAt.duration(to: clock.now)
            // Detection time 300 ms (measured: well under a second); the rest is bfdd telling bgpd over zebra and our
            // polling (one vtysh call per reading), slow on a loaded machine. The hold time (30 s) would take 20 s or
            // more.
            #expect(detection < .seconds(10), "session went down after \(detection)")
            #expect(try await frr.bfdState(with: lab.speaker.address(family)) == "down")
            try await lab.restoreLink()
            try await router.waitForSession(with: lab.speaker.address(family), within: .seconds(30))
        }
    }

    /// The adapters' `announcements` for FRR (`network` with a route-map) and GoBGP (`gobgp global rib add`), read
    /// back by BIRD. GoBGP listens and BIRD connects (GoBGP's own first connect waits 5–9 s).
    @Test("FRR and GoBGP as speakers: their static announcements reach BIRD with every attribute",
          arguments: [RouterKind.frr, .gobgp], [false, true])
    func otherSpeakers(speakerKind: RouterKind, iBGP: Bool) async throws {
        try await withLab { lab in
            let family = IPFamily.ipv4
            let speakerASN = iBGP ? Self.routerASN : Self.speakerASN
            // Without no-export: FRR honours it and keeps the route from its eBGP neighbour.
            let announcements = Self.announcements(family, localPref: iBGP ? 250 : nil, med: 10).map {
                var announcement = $0
                announcement.communities.removeAll { $0 == .standard(0xFFFF, 0xFF01) }
                return announcement
            }
            let receiver = try BIRDRouter(lab: lab, node: lab.router, configuration: RouterConfiguration(
                asn: Self.routerASN, routerID: lab.router.routerID,
                neighbors: [.speaker(of: lab, over: family, asn: speakerASN, passive: false)]))
            try await receiver.start()
            let speaker = try makeRouter(speakerKind, in: lab, on: lab.speaker, configuration: RouterConfiguration(
                asn: speakerASN, routerID: lab.speaker.routerID,
                neighbors: [.router(of: lab, over: family, asn: Self.routerASN, passive: true)],
                announcements: announcements))
            try await speaker.start()
            try await receiver.waitForSession(with: lab.speaker.address(family))
            let routes = try await receiver.waitForPrefixes(announcements.map(\.prefix), family)
            // Both send MED over eBGP too (BIRD does not); FRR sends MED 0 for a `network` route without one.
            let expected = Self.expected(lab, family, announcements, asPath: iBGP ? [] : [speakerASN], localPref: iBGP)
                .map { route in
                    var route = route
                    if speakerKind == .frr, route.med == nil { route.med = 0 }
                    return route
                }
            #expect(routes.ignoring(iBGP ? [] : [.localPref]) == expected.ignoring(iBGP ? [] : [.localPref]))
        }
    }
}
