import LabKit
import LBKernel
import Testing

/// The adapters' readers on outputs captured from the real routers (BIRD 2.0.12, FRR 8.4, GoBGP 3.10, in the lab
/// of `HarnessRouterTests`): no root, no daemons.
@Suite
struct RIBParserRouterTests {
    static let communities: [BGPCommunity] = [.standard(64500, 100), .standard(65535, 65281), .large(64500, 1, 2),
                                              .large(4_200_000_000, 7, 8)]

    /// `show route table master6 all` over iBGP, then `show protocols all` while the neighbour restarts.
    static let birdRoutes = """
        BIRD 2.0.12 ready.
        Table master6:
        2001:2::1/128        unicast [peer1 09:58:05.549] * (100) [i]
        \tvia fd00:ad::2 on veth-rtr
        \tType: BGP univ
        \tBGP.origin: IGP
        \tBGP.as_path: 
        \tBGP.next_hop: fd00:ad::2 fe80::b8a8:92ff:fe46:d572
        \tBGP.med: 10
        \tBGP.local_pref: 250
        \tBGP.community: (64500,100) (65535,65281)
        \tBGP.large_community: (64500, 1, 2) (4200000000, 7, 8)
        2001:2:7::/48        unicast [peer1 09:58:05.590] * (100) [i]
        \tvia fd00:ad::2 on veth-rtr
        \tType: BGP univ
        \tBGP.origin: IGP
        \tBGP.as_path: 
        \tBGP.next_hop: fd00:ad::2 fe80::b8a8:92ff:fe46:d572
        \tBGP.local_pref: 250
        2001:2:9::/48        blackhole [announce6 09:58:05.100] * (200)
        \tType: static univ

        """

    /// A network with a second path from another protocol (BIRD indents the second path's line with spaces), an
    /// AS path with a set, and an LLGR-stale route (`(100s)`).
    static let birdTwoPaths = """
        Table master4:
        198.18.0.1/32        unicast [peer1 10:00:00.000] * (100) [AS64500i]
        \tvia 10.9.0.2 on veth-rtr
        \tType: BGP univ
        \tBGP.origin: IGP
        \tBGP.as_path: 64500 64510
        \tBGP.next_hop: 10.9.0.2
        \tBGP.local_pref: 100
                             unicast [peer2 10:00:01.000] (100s) [AS64502?]
        \tvia 10.9.0.3 on veth-rtr
        \tType: BGP univ
        \tBGP.origin: Incomplete
        \tBGP.as_path: 64502 {64503 64504}
        \tBGP.next_hop: 10.9.0.3
        \tBGP.local_pref: 100

        """

    static let birdProtocols = """
        BIRD 2.0.12 ready.
        Name       Proto      Table      State  Since         Info
        device1    Device     ---        up     09:58:00.066  

        peer1      BGP        ---        start  09:58:01.235  Passive       Socket: Connection closed
          BGP state:          Passive
            Neighbor address: 10.121.0.2
            Neighbor AS:      64501
            Local AS:         64501
            Neighbor graceful restart active
            Restart timer:    59.973/-
            Last error:       Socket: Connection closed
          Channel ipv4
            State:          START

        peer2      BGP        ---        up     09:58:01.235  Established
          BGP state:          Established
            Neighbor address: 10.121.0.3

        """

    @Test func birdRoutesWithEveryAttribute() throws {
        let entries = try BIRDRouteParser.routes(Self.birdRoutes)
        #expect(entries.map(\.protocolName) == ["peer1", "peer1"])
        let nextHop = IPAddress("fd00:ad::2"), linkLocal = IPAddress("fe80::b8a8:92ff:fe46:d572")
        #expect(entries.map(\.route) == [
            RouterRoute(prefix: IPPrefix("2001:2::1/128")!, nextHop: nextHop, linkLocalNextHop: linkLocal, asPath: [],
                        origin: "IGP", med: 10, localPref: 250, communities: Self.communities),
            RouterRoute(prefix: IPPrefix("2001:2:7::/48")!, nextHop: nextHop, linkLocalNextHop: linkLocal, asPath: [],
                        origin: "IGP", localPref: 250),
        ])
    }

    @Test func birdSecondPathOfANetwork() throws {
        let entries = try BIRDRouteParser.routes(Self.birdTwoPaths)
        #expect(entries.map(\.protocolName) == ["peer1", "peer2"])
        #expect(entries.map(\.route) == [
            RouterRoute(prefix: IPPrefix("198.18.0.1/32")!, nextHop: IPAddress("10.9.0.2"), asPath: [64500, 64510],
                        origin: "IGP", localPref: 100),
            RouterRoute(prefix: IPPrefix("198.18.0.1/32")!, nextHop: IPAddress("10.9.0.3"),
                        asPath: [64502, 64503, 64504], origin: "incomplete", localPref: 100, stale: true),
        ])
    }

    @Test func birdSessionsAndRestartingNeighbours() {
        #expect(BIRDRouteParser.restartingProtocols(Self.birdProtocols) == ["peer1"])
        #expect(BIRDRouteParser.sessionState(Self.birdProtocols) == .other("Passive"))
        #expect(BIRDRouteParser.sessionState("BIRD 2.0.12 ready.\nsyntax error") == .idle)
    }

    @Test func birdBFDSessions() {
        let output = """
            BIRD 2.0.12 ready.
            bfd1:
            IP address                Interface  State      Since         Interval  Timeout
            10.9.0.2                  veth-rtr   Up         10:48:01.123    0.100    0.300
            fd00:9::2                 veth-rtr   Down       10:48:02.456    1.000    0.000

            """
        #expect(BIRDRouteParser.bfdState(output, neighbor: IPAddress("10.9.0.2")!) == "Up")
        #expect(BIRDRouteParser.bfdState(output, neighbor: IPAddress("fd00:9::2")!) == "Down")
        #expect(BIRDRouteParser.bfdState(output, neighbor: IPAddress("10.9.0.3")!) == nil)
    }

    @Test func birdRejectsACommunityItCannotRead() {
        #expect(throws: LabError.self) {
            try BIRDRouteParser.routes("""
                198.18.0.1/32        unicast [peer1 10:00:00.000] * (100) [AS64500i]
                \tType: BGP univ
                \tBGP.community: (64500,100000)
                """)
        }
    }

    /// `show bgp ipv6 unicast json detail` while the iBGP neighbour restarts.
    static let frrStale = """
        {
         "vrfId": 0,
         "vrfName": "default",
         "tableVersion": 2,
         "routerId": "10.173.0.1",
         "defaultLocPrf": 100,
         "localAS": 64501,
         "routes": { "2001:2::1/128": [{"prefix":"2001:2::1/128","version":1},{"aspath":{"string":"Local","segments":[],"length":0},"stale":true,"origin":"IGP","metric":10,"locPrf":250,"valid":true,"version":1,"bestpath":{"overall":true,"selectionReason":"First path received"},"community":{"string":"64500:100 no-export","list":["64500:100","noExport"]},"largeCommunity":{"string":"64500:1:2 4200000000:7:8","list":["64500:1:2","4200000000:7:8"]},"lastUpdate":{"epoch":1795946286,"string":"Sun Nov 29 09:58:06 2026\\n"},"gracefulRestartSecondsRemaining":59,"nexthops":[{"ip":"fd00:ad::2","afi":"ipv6","scope":"global","metric":0,"accessible":true},{"ip":"fe80::b8a8:92ff:fe46:d572","afi":"ipv6","scope":"link-local","accessible":true,"used":true}],"peer":{"peerId":"fd00:ad::2","routerId":"10.173.0.2","type":"internal"}}]
        ,"2001:2:7::/48": [{"prefix":"2001:2:7::/48","version":2},{"aspath":{"string":"Local","segments":[],"length":0},"stale":true,"origin":"IGP","locPrf":250,"valid":true,"version":2,"bestpath":{"overall":true,"selectionReason":"First path received"},"lastUpdate":{"epoch":1795946286,"string":"Sun Nov 29 09:58:06 2026\\n"},"gracefulRestartSecondsRemaining":59,"nexthops":[{"ip":"fd00:ad::2","afi":"ipv6","scope":"global","metric":0,"accessible":true},{"ip":"fe80::b8a8:92ff:fe46:d572","afi":"ipv6","scope":"link-local","accessible":true,"used":true}],"peer":{"peerId":"fd00:ad::2","routerId":"10.173.0.2","type":"internal"}}]
         }  }
        """

    /// `show bgp ipv4 unicast json detail` over eBGP, with a route FRR originates itself (no peer).
    static let frrEBGP = """
        {
         "routerId": "10.77.0.1",
         "routes": { "198.18.0.1/32": [{"prefix":"198.18.0.1/32","version":2,"advertisedTo":{"10.77.0.2":{}}},{"aspath":{"string":"64500","segments":[{"type":"as-sequence","list":[64500]}],"length":1},"origin":"IGP","valid":true,"version":2,"bestpath":{"overall":true,"selectionReason":"First path received"},"community":{"string":"64500:100","list":["64500:100"]},"largeCommunity":{"string":"64500:1:2","list":["64500:1:2"]},"lastUpdate":{"epoch":1795943970,"string":"Sun Nov 29 09:19:30 2026\\n"},"nexthops":[{"ip":"10.77.0.2","afi":"ipv4","metric":0,"accessible":true,"used":true}],"peer":{"peerId":"10.77.0.2","routerId":"10.77.0.2","type":"external"}}]
        ,"198.18.9.0/24": [{"prefix":"198.18.9.0/24","version":1},{"aspath":{"string":"Local","segments":[],"length":0},"origin":"IGP","weight":32768,"valid":true,"sourced":true,"local":true,"nexthops":[{"ip":"0.0.0.0","afi":"ipv4","metric":0,"accessible":true,"used":true}],"peer":{"peerId":"(unspec)","routerId":"10.77.0.1"}}]
         }  }
        """

    @Test func frrStaleIBGPRoutes() throws {
        let nextHop = IPAddress("fd00:ad::2"), linkLocal = IPAddress("fe80::b8a8:92ff:fe46:d572")
        #expect(try FRRRouteParser.routes(Self.frrStale) == [
            RouterRoute(prefix: IPPrefix("2001:2::1/128")!, nextHop: nextHop, linkLocalNextHop: linkLocal, asPath: [],
                        origin: "IGP", med: 10, localPref: 250, communities: Self.communities, stale: true,
                        peer: nextHop),
            RouterRoute(prefix: IPPrefix("2001:2:7::/48")!, nextHop: nextHop, linkLocalNextHop: linkLocal, asPath: [],
                        origin: "IGP", localPref: 250, stale: true, peer: nextHop),
        ])
    }

    @Test func frrEBGPRouteAndOwnRoute() throws {
        let routes = try FRRRouteParser.routes(Self.frrEBGP)
        #expect(routes == [
            RouterRoute(prefix: IPPrefix("198.18.0.1/32")!, nextHop: IPAddress("10.77.0.2"), asPath: [64500],
                        origin: "IGP", communities: [.standard(64500, 100), .large(64500, 1, 2)],
                        peer: IPAddress("10.77.0.2")),
            RouterRoute(prefix: IPPrefix("198.18.9.0/24")!, nextHop: IPAddress("0.0.0.0"), asPath: [],
                        origin: "IGP"),
        ])
    }

    @Test(arguments: [
        ("noExport", BGPCommunity.standard(65535, 65281)), ("no-advertise", .standard(65535, 65282)),
        ("localAs", .standard(65535, 65283)), ("noPeer", .standard(65535, 65284)),
        ("blackhole", .standard(65535, 666)), ("gracefulShutdown", .standard(65535, 0)),
        ("llgrStale", .standard(65535, 6)), ("64500:100", .standard(64500, 100)),
        ("4200000000:7:8", .large(4_200_000_000, 7, 8)), ("large:1:2:3", .large(1, 2, 3)),
    ])
    func communityNames(text: String, community: BGPCommunity) {
        #expect(WellKnownCommunity.parse(text) == community)
    }

    @Test func frrSessionState() throws {
        let json = #"{"10.121.0.2":{"remoteAs":64501,"bgpState":"Established"}}"#
        #expect(try FRRRouteParser.sessionState(json, neighbor: IPAddress("10.121.0.2")!) == .established)
        #expect(try FRRRouteParser.sessionState(#"{"10.121.0.2":{"bgpState":"Active"}}"#,
                                                neighbor: IPAddress("10.121.0.2")!) == .active)
        #expect(throws: LabError.self) { try FRRRouteParser.sessionState("{}", neighbor: IPAddress("10.1.0.1")!) }
    }

    @Test func frrBFDState() throws {
        let json = #"[{"multihop":false,"peer":"10.9.0.2","local":"10.9.0.1","status":"up"}]"#
        #expect(try FRRRouteParser.bfdState(json, neighbor: IPAddress("10.9.0.2")!) == "up")
        #expect(try FRRRouteParser.bfdState(json, neighbor: IPAddress("10.9.0.3")!) == nil)
    }

    /// `gobgp -j global rib -a ipv6` while the iBGP neighbour restarts, and `-a ipv4` over eBGP.
    static let gobgpStale = """
        {"2001:2:7::/48":[{"nlri":{"prefix":"2001:2:7::/48"},"age":1795946288,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[]},{"type":5,"value":250},{"type":14,"nexthop":"fd00:ad::2","afi":2,"safi":1,"value":[{"prefix":"2001:2:7::/48"}]}],"stale":true,"source-id":"10.173.0.2","neighbor-ip":"fd00:ad::2"}],"2001:2::1/128":[{"nlri":{"prefix":"2001:2::1/128"},"age":1795946288,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[]},{"type":4,"metric":10},{"type":5,"value":250},{"type":8,"communities":[4227072100,4294967041]},{"type":32,"value":[{"ASN":64500,"LocalData1":1,"LocalData2":2},{"ASN":4200000000,"LocalData1":7,"LocalData2":8}]},{"type":14,"nexthop":"fd00:ad::2","afi":2,"safi":1,"value":[{"prefix":"2001:2::1/128"}]}],"stale":true,"source-id":"10.173.0.2","neighbor-ip":"fd00:ad::2"}]}
        """
    static let gobgpEBGP = """
        {"198.18.0.1/32":[{"nlri":{"prefix":"198.18.0.1/32"},"age":1795943943,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[64500]}]},{"type":3,"nexthop":"10.77.0.2"},{"type":8,"communities":[4227072100]},{"type":32,"value":[{"ASN":64500,"LocalData1":1,"LocalData2":2}]}],"stale":false,"source-id":"10.77.0.2","neighbor-ip":"10.77.0.2"}]}
        """

    @Test func gobgpStaleIBGPRoutes() throws {
        let nextHop = IPAddress("fd00:ad::2")
        #expect(try GoBGPRouteParser.routes(Self.gobgpStale) == [
            RouterRoute(prefix: IPPrefix("2001:2::1/128")!, nextHop: nextHop, asPath: [], origin: "IGP", med: 10,
                        localPref: 250, communities: Self.communities, stale: true, peer: nextHop),
            RouterRoute(prefix: IPPrefix("2001:2:7::/48")!, nextHop: nextHop, asPath: [], origin: "IGP",
                        localPref: 250, stale: true, peer: nextHop),
        ])
    }

    @Test func gobgpEBGPRoute() throws {
        #expect(try GoBGPRouteParser.routes(Self.gobgpEBGP) == [
            RouterRoute(prefix: IPPrefix("198.18.0.1/32")!, nextHop: IPAddress("10.77.0.2"), asPath: [64500],
                        origin: "IGP", communities: [.standard(64500, 100), .large(64500, 1, 2)],
                        peer: IPAddress("10.77.0.2")),
        ])
        #expect(try GoBGPRouteParser.routes("null\n").isEmpty)
        #expect(try GoBGPRouteParser.routes("{}").isEmpty)
    }

    @Test(arguments: [(#"{"state":{"session_state":6}}"#, SessionState.established),
                      (#"{"state":{"session_state":1}}"#, .idle), (#"{"state":{"session_state":3}}"#, .active),
                      (#"{"state":{"session_state":"established"}}"#, .established), (#"{"state":{}}"#, .idle)])
    func gobgpSessionState(json: String, state: SessionState) throws {
        #expect(try GoBGPRouteParser.sessionState(json, neighbor: IPAddress("10.1.0.2")!) == state)
    }
}
