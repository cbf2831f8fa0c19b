/// Everything one node should announce: the input of every ``Announcer``.
public struct DesiredSet: Hashable, Sendable {
    /// The node the set is for.
    public var node: String
    /// The services this node may announce, by id.
    public var services: [ServiceID: ServiceAnnouncement]
    /// The BGP peers this node opens sessions with (those whose node selectors match the node), sorted by name.
    ///
    /// Sessions stay up while the set has no services: an empty ``services`` withdraws routes, not sessions.
    public var bgpPeers: [BGPPeer]
    /// The BFD profiles the peers in ``bgpPeers`` name, by profile name.
    public var bfdProfiles: [String: BFDProfile]

    /// Creates a set.
    public init(node: String, services: [ServiceID: ServiceAnnouncement] = [:], bgpPeers: [BGPPeer] = [],
                bfdProfiles: [String: BFDProfile] = [:]) {
        self.node = node
        self.services = services
        self.bgpPeers = bgpPeers
        self.bfdProfiles = bfdProfiles
    }

    /// The empty set for `node`: announcing it withdraws everything.
    public static func empty(node: String) -> DesiredSet { DesiredSet(node: node) }

    /// True when no service is to be announced (peers may still be listed: their sessions stay up, empty).
    public var isEmpty: Bool { services.isEmpty }
}

/// How one service is to be announced from this node.
public struct ServiceAnnouncement: Hashable, Sendable {
    /// The service.
    public var service: ServiceID
    /// Its addresses.
    public var addresses: [IPAddress]
    /// The pool the addresses come from.
    public var pool: String
    /// Layer 2 announcement, when this node is a candidate to answer ARP/NDP for the service; nil otherwise.
    public var layer2: Layer2Announcement?
    /// BGP routes this node announces for the service; empty when none.
    public var bgp: [BGPRoute]

    /// Creates an announcement.
    public init(service: ServiceID, addresses: [IPAddress], pool: String, layer2: Layer2Announcement? = nil,
                bgp: [BGPRoute] = []) {
        self.service = service
        self.addresses = addresses
        self.pool = pool
        self.layer2 = layer2
        self.bgp = bgp
    }
}

/// A Layer 2 announcement: the nodes that may answer for the service (the plugin elects one) and the
/// interfaces to answer on.
public struct Layer2Announcement: Hashable, Sendable {
    /// Every node eligible to answer for the service, sorted by name; this node is one of them.
    public var candidates: [String]
    /// The interfaces to answer on; empty means every eligible interface.
    public var interfaces: [String]

    /// Creates a Layer 2 announcement.
    public init(candidates: [String], interfaces: [String] = []) {
        self.candidates = candidates
        self.interfaces = interfaces
    }
}

/// One route to announce over BGP, with the attributes its advertisement asks for.
public struct BGPRoute: Hashable, Sendable, Comparable {
    /// The prefix: the service address with the advertisement's aggregation length.
    public var prefix: IPPrefix
    /// The advertisement that asks for the route.
    public var advertisement: String
    /// LOCAL_PREF for iBGP peers, or nil.
    public var localPref: UInt32?
    /// Standard and large communities, sorted.
    public var communities: [BGPCommunity]
    /// The peers to announce to; empty means every peer of this node.
    public var peers: [String]

    /// Creates a route.
    public init(prefix: IPPrefix, advertisement: String, localPref: UInt32? = nil, communities: [BGPCommunity] = [],
                peers: [String] = []) {
        self.prefix = prefix
        self.advertisement = advertisement
        self.localPref = localPref
        self.communities = communities
        self.peers = peers
    }

    /// Orders by prefix, then advertisement name.
    public static func < (lhs: BGPRoute, rhs: BGPRoute) -> Bool {
        (lhs.prefix, lhs.advertisement) < (rhs.prefix, rhs.advertisement)
    }
}
