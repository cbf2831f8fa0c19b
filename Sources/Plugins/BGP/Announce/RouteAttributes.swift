public import LBKernel

/// The attributes lbd sends with a prefix to one peer: everything of an UPDATE except the prefixes themselves.
///
/// Prefixes with equal attributes travel together in one UPDATE (``AdjRIBOut`` groups them); the family of the
/// prefixes is the family of the next hop (lbd does not send IPv4 routes with an IPv6 next hop, RFC 8950).
public struct RouteAttributes: Hashable, Sendable {
    /// ORIGIN: always IGP for lbd's routes (RFC 4271 §5.1.1: the route originates in this AS).
    public var origin: PathAttributes.Origin
    /// The AS numbers of the one AS_SEQUENCE: empty towards iBGP peers (RFC 4271 §5.1.2), our AS towards eBGP
    /// peers; 4-octet values (the codec writes AS4_PATH for an old speaker, RFC 6793 §4.2.2).
    public var asPath: [UInt32]
    /// Where the peer sends the traffic: this node.
    public var nextHop: NextHop
    /// LOCAL_PREF, set only towards iBGP peers (RFC 4271 §5.1.5).
    public var localPref: UInt32?
    /// Standard communities (RFC 1997) as 32-bit values, sorted, each once.
    public var communities: [UInt32]
    /// Large communities (RFC 8092), sorted, each once.
    public var largeCommunities: [LargeCommunity]

    /// The next hop of a route: an IPv4 address for IPv4 prefixes, an IPv6 global address (and the link-local
    /// address of the shared link when the peer is on it, RFC 2545 §3) for IPv6 prefixes.
    public enum NextHop: Hashable, Sendable, CustomStringConvertible {
        /// The NEXT_HOP attribute of IPv4 routes (RFC 4271 §5.1.3).
        case ipv4(IPv4Address)
        /// The MP_REACH_NLRI next hop of IPv6 routes: global, then link-local when given (RFC 2545 §3).
        case ipv6(global: IPv6Address, linkLocal: IPv6Address?)

        /// The family of the next hop, which is the family of the prefixes it is sent with.
        public var family: IPFamily {
            switch self {
            case .ipv4: .ipv4
            case .ipv6: .ipv6
            }
        }

        /// The addresses in the order they go on the wire.
        public var addresses: [IPAddress] {
            switch self {
            case .ipv4(let address): [.v4(address)]
            case .ipv6(let global, nil): [.v6(global)]
            case .ipv6(let global, let linkLocal?): [.v6(global), .v6(linkLocal)]
            }
        }

        /// `192.0.2.1`, `2001:db8::1` or `2001:db8::1 fe80::1`.
        public var description: String { addresses.map(\.description).joined(separator: " ") }
    }

    /// Creates attributes; communities are sorted and made unique here.
    public init(origin: PathAttributes.Origin = .igp, asPath: [UInt32], nextHop: NextHop, localPref: UInt32? = nil,
                communities: [UInt32] = [], largeCommunities: [LargeCommunity] = []) {
        self.origin = origin
        self.asPath = asPath
        self.nextHop = nextHop
        self.localPref = localPref
        self.communities = RouteAttributes.sortedUnique(communities)
        self.largeCommunities = RouteAttributes.sortedUnique(largeCommunities)
    }

    /// The unicast family of the prefixes these attributes go with.
    public var family: AddressFamily { .unicast(nextHop.family) }

    /// The path attributes of an UPDATE carrying these attributes; for IPv6 the MP_REACH_NLRI holds the next hop
    /// and no prefixes (the packer fills them in), RFC 4760 §3.
    public var pathAttributes: PathAttributes {
        var attributes = PathAttributes(origin: origin,
                                        asPath: asPath.isEmpty ? [] : [ASPathSegment(kind: .sequence, asns: asPath)],
                                        localPref: localPref, communities: communities,
                                        largeCommunities: largeCommunities)
        switch nextHop {
        case .ipv4(let address):
            attributes.nextHop = address
        case .ipv6:
            attributes.mpReach = MPReachNLRI(family: .ipv6Unicast, nextHops: nextHop.addresses, nlri: [])
        }
        return attributes
    }

    /// The 32-bit value of a standard community (RFC 1997 §3: AS number in the high half).
    public static func communityValue(_ high: UInt16, _ low: UInt16) -> UInt32 { UInt32(high) << 16 | UInt32(low) }

    private static func sortedUnique<T: Comparable>(_ values: [T]) -> [T] {
        if values.count < 2 { return values }
        var ordered = true
        for i in 1..<values.count where !(values[i - 1] < values[i]) {
            ordered = false
            break
        }
        if ordered { return values }
        var result: [T] = []
        result.reserveCapacity(values.count)
        for value in values.sorted() where result.last != value { result.append(value) }
        return result
    }
}
