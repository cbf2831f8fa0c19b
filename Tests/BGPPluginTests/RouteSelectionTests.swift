import LBKernel
import Testing
@testable import BGPPlugin

/// Shorthands for route selection tables.
private enum Fixture {
    static func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }
    static func v4(_ text: String) -> IPv4Address { IPv4Address(text)! }
    static func v6(_ text: String) -> IPv6Address { IPv6Address(text)! }
    static func community(_ text: String) -> BGPCommunity { try! BGPCommunity(parsing: text) }

    static let ebgpPeer = BGPPeer(name: "tor-a", myASN: 64500, peerASN: 64501, peerAddress: IPAddress("10.0.0.1"))
    static let ibgpPeer = BGPPeer(name: "rr", myASN: 64500, peerASN: 64500, peerAddress: IPAddress("10.0.0.3"))

    /// An eBGP session over IPv4 that carries IPv4 only.
    static let ebgpV4 = PeerRoutes.Session(localAS: 64500, peerAS: 64501, families: [.ipv4Unicast],
                                           ipv4NextHop: v4("10.0.0.2"), ipv6NextHop: v6("fd00::2"))
    /// An eBGP session that carries both families, peer on-link.
    static let ebgpDual = PeerRoutes.Session(localAS: 64500, peerAS: 64501, families: [.ipv4Unicast, .ipv6Unicast],
                                             ipv4NextHop: v4("10.0.0.2"), ipv6NextHop: v6("fd00::2"),
                                             ipv6LinkLocalNextHop: v6("fe80::2"))
    /// An iBGP session over IPv4 that carries IPv4 only.
    static let ibgpV4 = PeerRoutes.Session(localAS: 64500, peerAS: 64500, families: [.ipv4Unicast],
                                           ipv4NextHop: v4("10.0.0.2"))

    static func desired(_ routes: [(service: String, route: BGPRoute)]) -> DesiredSet {
        var services: [ServiceID: ServiceAnnouncement] = [:]
        for (name, route) in routes {
            let id = ServiceID(name)
            services[id, default: ServiceAnnouncement(service: id, addresses: [route.prefix.network], pool: "p")]
                .bgp.append(route)
        }
        return DesiredSet(node: "n1", services: services)
    }

    static func route(_ prefix: String, _ ad: String = "ad", localPref: UInt32? = nil, communities: [String] = [],
                      peers: [String] = []) -> BGPRoute {
        BGPRoute(prefix: Fixture.prefix(prefix), advertisement: ad, localPref: localPref,
                 communities: communities.map(community).sorted(), peers: peers)
    }

    static let v4NextHop = RouteAttributes.NextHop.ipv4(v4("10.0.0.2"))
    static let v6NextHop = RouteAttributes.NextHop.ipv6(global: v6("fd00::2"), linkLocal: v6("fe80::2"))
}

@Suite("Route selection for one peer")
struct RouteSelectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var routes: [(service: String, route: BGPRoute)]
        var peer: BGPPeer = Fixture.ebgpPeer
        var session: PeerRoutes.Session = Fixture.ebgpV4
        var expected: [IPPrefix: RouteAttributes]
        var notSent: [PeerRoutes.NotSentReason: Int] = [:]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "eBGP: AS_PATH is our AS, no LOCAL_PREF, communities kept",
             routes: [("web", Fixture.route("192.0.2.1/32", localPref: 100, communities: ["65535:65281", "large:1:2:3"]))],
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(
                 asPath: [64500], nextHop: Fixture.v4NextHop, communities: [0xFFFF_FF01],
                 largeCommunities: [LargeCommunity(1, 2, 3)])]),
        Case(name: "iBGP: empty AS_PATH and LOCAL_PREF",
             routes: [("web", Fixture.route("192.0.2.1/32", localPref: 100))],
             peer: Fixture.ibgpPeer, session: Fixture.ibgpV4,
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(asPath: [], nextHop: Fixture.v4NextHop,
                                                                        localPref: 100)]),
        Case(name: "a route for other peers is not this peer's (and not counted)",
             routes: [("web", Fixture.route("192.0.2.1/32", peers: ["tor-b"])),
                      ("api", Fixture.route("192.0.2.2/32", peers: ["tor-a", "tor-b"]))],
             expected: [Fixture.prefix("192.0.2.2/32"): RouteAttributes(asPath: [64500], nextHop: Fixture.v4NextHop)]),
        Case(name: "one prefix from two advertisements: union of communities, highest LOCAL_PREF",
             routes: [("web", Fixture.route("192.0.2.1/32", "a", localPref: 100, communities: ["65535:65281"])),
                      ("web", Fixture.route("192.0.2.1/32", "b", localPref: 200,
                                            communities: ["64500:1", "65535:65281", "large:64500:0:1"]))],
             peer: Fixture.ibgpPeer, session: Fixture.ibgpV4,
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(
                 asPath: [], nextHop: Fixture.v4NextHop, localPref: 200, communities: [0xFBF4_0001, 0xFFFF_FF01],
                 largeCommunities: [LargeCommunity(64500, 0, 1)])]),
        Case(name: "the union ignores an advertisement limited to other peers",
             routes: [("web", Fixture.route("192.0.2.1/32", "a", communities: ["64500:1"])),
                      ("web", Fixture.route("192.0.2.1/32", "b", communities: ["64500:2"], peers: ["tor-b"]))],
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(asPath: [64500], nextHop: Fixture.v4NextHop,
                                                                        communities: [0xFBF4_0001])]),
        Case(name: "two services aggregated into one prefix are one route",
             routes: [("web", Fixture.route("192.0.2.0/24", communities: ["64500:1"])),
                      ("api", Fixture.route("192.0.2.0/24", communities: ["64500:1"]))],
             expected: [Fixture.prefix("192.0.2.0/24"): RouteAttributes(asPath: [64500], nextHop: Fixture.v4NextHop,
                                                                        communities: [0xFBF4_0001])]),
        Case(name: "IPv6 over a session without IPv6 is held back with a reason",
             routes: [("web", Fixture.route("192.0.2.1/32")), ("web", Fixture.route("2001:db8::1/128")),
                      ("api", Fixture.route("2001:db8::2/128")), ("api", Fixture.route("2001:db8::2/128", "b"))],
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(asPath: [64500], nextHop: Fixture.v4NextHop)],
             notSent: [.familyNotNegotiated(.ipv6Unicast): 2]),
        Case(name: "IPv6 over a dual-stack session: global and link-local next hop",
             routes: [("web", Fixture.route("192.0.2.1/32")), ("web", Fixture.route("2001:db8::/64"))],
             session: Fixture.ebgpDual,
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(asPath: [64500], nextHop: Fixture.v4NextHop),
                        Fixture.prefix("2001:db8::/64"): RouteAttributes(asPath: [64500], nextHop: Fixture.v6NextHop)]),
        Case(name: "a negotiated family without a local address of it has no next hop",
             routes: [("web", Fixture.route("192.0.2.1/32")), ("web", Fixture.route("2001:db8::1/128"))],
             session: PeerRoutes.Session(localAS: 64500, peerAS: 64501, families: [.ipv4Unicast, .ipv6Unicast],
                                         ipv6NextHop: Fixture.v6("fd00::2")),
             expected: [Fixture.prefix("2001:db8::1/128"): RouteAttributes(
                 asPath: [64500], nextHop: .ipv6(global: Fixture.v6("fd00::2"), linkLocal: nil))],
             notSent: [.noNextHop(.ipv4): 1]),
        Case(name: "localASN: the AS presented is the one in AS_PATH",
             routes: [("web", Fixture.route("192.0.2.1/32"))],
             session: PeerRoutes.Session(localAS: 65000, peerAS: 64501, families: [.ipv4Unicast],
                                         ipv4NextHop: Fixture.v4("10.0.0.2")),
             expected: [Fixture.prefix("192.0.2.1/32"): RouteAttributes(asPath: [65000], nextHop: Fixture.v4NextHop)]),
        Case(name: "nothing desired, nothing selected", routes: [], expected: [:]),
    ]

    @Test(arguments: cases)
    func selection(_ c: Case) {
        let selection = PeerRoutes.select(Fixture.desired(c.routes), for: c.peer, session: c.session)
        #expect(selection.table.dictionary == c.expected, "\(selection.table)")
        #expect(selection.notSent == c.notSent)
    }

    @Test func theResultDoesNotDependOnServiceOrder() {
        var routes: [(service: String, route: BGPRoute)] = []
        for i in 0..<50 {
            routes.append(("s\(i)", Fixture.route("192.0.2.0/24", "ad\(i % 7)", localPref: UInt32(i % 5),
                                                  communities: ["64500:\(i % 3)"])))
        }
        let forward = PeerRoutes.select(Fixture.desired(routes), for: Fixture.ibgpPeer, session: Fixture.ibgpV4)
        let backward = PeerRoutes.select(Fixture.desired(routes.reversed()), for: Fixture.ibgpPeer,
                                         session: Fixture.ibgpV4)
        #expect(forward.table == backward.table)
        #expect(forward.table[Fixture.prefix("192.0.2.0/24")]?.localPref == 4)
        #expect(forward.table[Fixture.prefix("192.0.2.0/24")]?.communities == [0xFBF4_0000, 0xFBF4_0001, 0xFBF4_0002])
    }

    @Test func prefixesWithEqualAttributesShareOneAttributeSet() {
        let routes = (1...200).map { ("s\($0)", Fixture.route("10.1.\($0 / 100).\($0 % 100)/32", communities: ["64500:7"])) }
        let selection = PeerRoutes.select(Fixture.desired(routes), for: Fixture.ebgpPeer, session: Fixture.ebgpV4)
        #expect(selection.table.count == 200)
        #expect(selection.table.attributeSets.count == 1)
    }

    @Test(arguments: [
        (IPAddress("10.0.0.2")!, nil as IPv6Address?, nil as IPAddress?, Fixture.v4("10.0.0.2"), nil as IPv6Address?,
         nil as IPv6Address?),
        (IPAddress("fd00::2")!, Fixture.v6("fe80::2"), IPAddress("10.0.0.2"), Fixture.v4("10.0.0.2"), Fixture.v6("fd00::2"),
         Fixture.v6("fe80::2")),
        (IPAddress("10.0.0.2")!, Fixture.v6("fe80::2"), IPAddress("fd00::2"), Fixture.v4("10.0.0.2"), Fixture.v6("fd00::2"),
         nil),
    ])
    func sessionFactsFromAnEstablishedSession(local: IPAddress, linkLocal: IPv6Address?, other: IPAddress?,
                                              v4: IPv4Address?, v6: IPv6Address?, v6LinkLocal: IPv6Address?) {
        let open = OpenMessage(myAS: 64501, holdTime: 90, bgpIdentifier: Fixture.v4("10.0.0.1"), capabilities: [])
        let negotiated = NegotiatedSession(
            peerAS: 64501, localAS: 64500, peerIdentifier: Fixture.v4("10.0.0.1"), isInternal: false,
            families: [.ipv4Unicast, .ipv6Unicast], fourOctetAS: true, extendedMessages: false, peerRouteRefresh: true,
            peerGracefulRestart: nil, localRestarting: false, holdTime: 90, keepaliveTime: 30,
            endOfRIBFamilies: [.ipv4Unicast, .ipv6Unicast], peerOpen: open)
        let established = PeerSession.Established(localAddress: local, peerAddress: IPAddress("10.0.0.1")!,
                                                  localLinkLocal: linkLocal, negotiated: negotiated,
                                                  codecOptions: negotiated.codecOptions, generation: 1)
        let session = PeerRoutes.Session(established, otherFamilyAddress: other)
        #expect(session == PeerRoutes.Session(localAS: 64500, peerAS: 64501, families: [.ipv4Unicast, .ipv6Unicast],
                                              ipv4NextHop: v4, ipv6NextHop: v6, ipv6LinkLocalNextHop: v6LinkLocal))
        #expect(!session.isInternal)
    }

    @Test func pathAttributesOnTheWire() {
        let v4 = RouteAttributes(asPath: [64500], nextHop: Fixture.v4NextHop, localPref: nil,
                                 communities: [2, 1, 2], largeCommunities: [LargeCommunity(1, 2, 3)])
        #expect(v4.communities == [1, 2])
        #expect(v4.pathAttributes == PathAttributes(origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [64500])],
                                                    nextHop: Fixture.v4("10.0.0.2"), communities: [1, 2],
                                                    largeCommunities: [LargeCommunity(1, 2, 3)]))
        let v6 = RouteAttributes(asPath: [], nextHop: Fixture.v6NextHop, localPref: 100)
        #expect(v6.family == .ipv6Unicast)
        #expect(v6.pathAttributes == PathAttributes(
            origin: .igp, asPath: [], localPref: 100,
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHops: [.v6(Fixture.v6("fd00::2")), .v6(Fixture.v6("fe80::2"))],
                                 nlri: [])))
    }
}
