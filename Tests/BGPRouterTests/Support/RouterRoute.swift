import LBKernel

/// One path in a router's BGP RIB, as the router shows it: what the acceptance tests compare.
struct RouterRoute: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The announced prefix.
    var prefix: IPPrefix
    /// The BGP next hop (the global one for IPv6).
    var nextHop: IPAddress?
    /// The IPv6 link-local next hop, when the router shows one (GoBGP does not).
    var linkLocalNextHop: IPAddress?
    /// The AS path, first AS first (sets flattened in order).
    var asPath: [UInt32] = []
    /// ORIGIN: `IGP`, `EGP` or `incomplete`.
    var origin: String?
    /// MULTI_EXIT_DISC, when present.
    var med: UInt32?
    /// LOCAL_PREF, when the router shows one (always on iBGP; some routers fill in a default on eBGP).
    var localPref: UInt32?
    /// Standard and large communities, sorted (standard first).
    var communities: [BGPCommunity] = []
    /// True while the route is kept only because its peer is restarting (RFC 4724 stale).
    var stale = false
    /// The neighbour the route came from.
    var peer: IPAddress?

    /// The fields a test may leave out of a comparison.
    enum Field: Hashable, Sendable {
        case linkLocalNextHop, origin, med, localPref, stale, peer
    }

    /// The route with `fields` cleared, for comparing only what a test cares about.
    func ignoring(_ fields: Set<Field>) -> RouterRoute {
        var route = self
        if fields.contains(.linkLocalNextHop) { route.linkLocalNextHop = nil }
        if fields.contains(.origin) { route.origin = nil }
        if fields.contains(.med) { route.med = nil }
        if fields.contains(.localPref) { route.localPref = nil }
        if fields.contains(.stale) { route.stale = false }
        if fields.contains(.peer) { route.peer = nil }
        return route
    }

    /// By prefix, then by the rest of the description.
    static func < (lhs: RouterRoute, rhs: RouterRoute) -> Bool {
        lhs.prefix != rhs.prefix ? lhs.prefix < rhs.prefix : lhs.description < rhs.description
    }

    /// `prefix via next-hop [AS path] origin med=… localpref=… communities stale from peer`.
    var description: String {
        var parts = ["\(prefix)"]
        if let nextHop { parts.append("via \(nextHop)" + (linkLocalNextHop.map { " \($0)" } ?? "")) }
        parts.append("[\(asPath.map(String.init).joined(separator: " "))]")
        if let origin { parts.append(origin) }
        if let med { parts.append("med=\(med)") }
        if let localPref { parts.append("localpref=\(localPref)") }
        if !communities.isEmpty { parts.append("{\(communities.map(\.description).joined(separator: " "))}") }
        if stale { parts.append("stale") }
        if let peer { parts.append("from \(peer)") }
        return parts.joined(separator: " ")
    }
}

extension [RouterRoute] {
    /// The routes with `fields` cleared, sorted: for `#expect(routes.comparable(…) == expected)`.
    func ignoring(_ fields: Set<RouterRoute.Field>) -> [RouterRoute] { map { $0.ignoring(fields) }.sorted() }

    /// The routes' prefixes, sorted.
    var prefixes: [IPPrefix] { map(\.prefix).sorted() }
}

/// Well-known community names routers print instead of the numbers (RFC 1997 §2, RFC 3765, RFC 7611, RFC 7999,
/// RFC 8326, RFC 9494), in the spellings FRR and BIRD use.
enum WellKnownCommunity {
    /// Name → value.
    static let byName: [String: BGPCommunity] = [
        "gracefulShutdown": .standard(0xFFFF, 0x0000), "graceful-shutdown": .standard(0xFFFF, 0x0000),
        "acceptOwn": .standard(0xFFFF, 0x0001), "accept-own": .standard(0xFFFF, 0x0001),
        "routeFilterTranslatedV4": .standard(0xFFFF, 0x0002), "route-filter-translated-v4": .standard(0xFFFF, 0x0002),
        "routeFilterV4": .standard(0xFFFF, 0x0003), "route-filter-v4": .standard(0xFFFF, 0x0003),
        "routeFilterTranslatedV6": .standard(0xFFFF, 0x0004), "route-filter-translated-v6": .standard(0xFFFF, 0x0004),
        "routeFilterV6": .standard(0xFFFF, 0x0005), "route-filter-v6": .standard(0xFFFF, 0x0005),
        "llgrStale": .standard(0xFFFF, 0x0006), "llgr-stale": .standard(0xFFFF, 0x0006),
        "noLlgr": .standard(0xFFFF, 0x0007), "no-llgr": .standard(0xFFFF, 0x0007),
        "acceptOwnNexthop": .standard(0xFFFF, 0x0008), "accept-own-nexthop": .standard(0xFFFF, 0x0008),
        "blackhole": .standard(0xFFFF, 0x029A),
        "noExport": .standard(0xFFFF, 0xFF01), "no-export": .standard(0xFFFF, 0xFF01),
        "noAdvertise": .standard(0xFFFF, 0xFF02), "no-advertise": .standard(0xFFFF, 0xFF02),
        "localAs": .standard(0xFFFF, 0xFF03), "local-AS": .standard(0xFFFF, 0xFF03),
        "noExportSubconfed": .standard(0xFFFF, 0xFF03), "no-export-subconfed": .standard(0xFFFF, 0xFF03),
        "noPeer": .standard(0xFFFF, 0xFF04), "no-peer": .standard(0xFFFF, 0xFF04),
        "internet": .standard(0, 0),
    ]

    /// Parses `asn:value`, `large:a:b:c`, `a:b:c` (a large community as routers print it) or a well-known name.
    static func parse(_ text: String) -> BGPCommunity? {
        if let known = byName[text] { return known }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3, let a = UInt32(parts[0]), let b = UInt32(parts[1]), let c = UInt32(parts[2]) {
            return .large(a, b, c)
        }
        return try? BGPCommunity(parsing: text)
    }
}
