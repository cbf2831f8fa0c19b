import Foundation
import LBKernel

/// The common setup of the lbd acceptance tests: one router under test in the router namespace, lbd in the
/// speaker namespace announcing a few services to it, and what the router must then show.
struct LBDScenario: Sendable {
    /// lbd's AS.
    static let lbdASN: UInt32 = 64500
    /// The router's AS for eBGP (iBGP uses lbd's).
    static let routerASN: UInt32 = 64501
    /// What the advertisement attaches: a standard community, a well-known alias, an alias of lbd's own, and a
    /// large community given inline.
    static let advertisement = LBDPolicy.Advertisement(
        communities: ["64500:100", "no-export", "lab-large", "large:4200000000:7:8"], localPref: 250)
    static let aliases = [(name: "lab-large", value: "large:64500:1:2")]
    /// The same communities as the router must show them.
    static let communities: [BGPCommunity] = [.standard(64500, 100), .standard(65535, 65281), .large(64500, 1, 2),
                                              .large(4_200_000_000, 7, 8)].sorted()

    /// The services lbd announces over a session of `family`: explicit addresses, so every run announces the same.
    static func services(_ family: IPFamily, count: Int = 3) -> [LBDPolicy.Service] {
        (1...count).map { index in
            let address = family == .ipv4 ? IPAddress("198.51.100.\(10 + index)")! : IPAddress("2001:db8:51::\(10 + index)")!
            return LBDPolicy.Service(name: "svc-\(family == .ipv4 ? 4 : 6)-\(index)", addresses: [address])
        }
    }

    /// The host prefixes of `services`.
    static func prefixes(_ services: [LBDPolicy.Service]) -> [IPPrefix] {
        services.flatMap(\.addresses).map { IPPrefix(address: $0, length: $0.family.bitWidth)! }.sorted()
    }

    let lab: NetworkLab
    let family: IPFamily
    let iBGP: Bool

    /// The router's AS: lbd's for iBGP.
    var routerASN: UInt32 { iBGP ? Self.lbdASN : Self.routerASN }

    /// The router's side of the session (lbd as its neighbour).
    func routerNeighbor(password: String? = nil, gracefulRestart: GracefulRestartSettings? = nil,
                        passive: Bool = true, holdTime: Int = 9) -> RouterNeighbor {
        .speaker(of: lab, over: family, asn: Self.lbdASN, passive: passive, holdTime: holdTime, password: password,
                 gracefulRestart: gracefulRestart)
    }

    /// lbd's side: one peer, the router.
    func lbdPeer(password: String? = nil, gracefulRestart: Bool = false, passive: Bool = false,
                 holdTime: Int = 9) -> LBDPolicy.Peer {
        LBDPolicy.Peer(myASN: Self.lbdASN, peerASN: routerASN, peerAddress: lab.router.address(family),
                       holdTime: holdTime, password: password, enableGracefulRestart: gracefulRestart,
                       passive: passive)
    }

    /// lbd's policy announcing `services` to `peer`.
    func policy(_ peer: LBDPolicy.Peer, services: [LBDPolicy.Service]) -> LBDPolicy {
        LBDPolicy(peers: [peer], advertisements: [Self.advertisement], communities: Self.aliases, services: services)
    }

    /// Starts the router (configured with `neighbor`) and returns it.
    func startRouter(_ kind: RouterKind, _ neighbor: RouterNeighbor) async throws -> any Router {
        let router = try makeRouter(kind, in: lab, on: lab.router, configuration: RouterConfiguration(
            asn: routerASN, routerID: lab.router.routerID, neighbors: [neighbor]))
        try await router.start()
        return router
    }

    /// What the router must show for `services`: next hop lbd's address (and its link-local one for IPv6, except
    /// with GoBGP, which does not show it), AS path lbd's AS over eBGP and empty over iBGP, origin IGP, the
    /// advertisement's communities, LOCAL_PREF 250 over iBGP (not compared over eBGP, where routers show their
    /// own default or nothing), no MED.
    func expectedRoutes(_ services: [LBDPolicy.Service], router: RouterKind) -> [RouterRoute] {
        Self.prefixes(services).map { prefix in
            RouterRoute(prefix: prefix, nextHop: lab.speaker.address(family),
                        linkLocalNextHop: family == .ipv6 && router != .gobgp ? .v6(lab.speaker.linkLocal) : nil,
                        asPath: iBGP ? [] : [Self.lbdASN], origin: "IGP", med: nil,
                        localPref: iBGP ? Self.advertisement.localPref : nil, communities: Self.communities,
                        stale: false, peer: lab.speaker.address(family))
        }.sorted()
    }

    /// The fields compared: everything but LOCAL_PREF over eBGP.
    var ignored: Set<RouterRoute.Field> { iBGP ? [] : [.localPref] }
}
