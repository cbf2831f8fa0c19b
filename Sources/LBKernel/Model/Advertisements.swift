/// Announces a set of pools' addresses on the local segment with ARP/NDP (MetalLB's `L2Advertisement`).
public struct Layer2Advertisement: Hashable, Sendable {
    /// The advertisement's name (unique among Layer 2 advertisements).
    public var name: String
    /// Pools by name; names of pools that do not exist are ignored, as in MetalLB.
    public var ipAddressPools: [String]
    /// Pools by label. With neither list set the advertisement applies to every pool.
    public var ipAddressPoolSelectors: [LabelSelector]
    /// Nodes that may announce; empty means every node.
    public var nodeSelectors: [LabelSelector]
    /// Interfaces to announce from; empty means every eligible interface.
    public var interfaces: [String]
    /// Services the advertisement applies to; empty means every service.
    public var serviceSelectors: [LabelSelector]

    /// Creates a Layer 2 advertisement.
    public init(name: String, ipAddressPools: [String] = [], ipAddressPoolSelectors: [LabelSelector] = [],
                nodeSelectors: [LabelSelector] = [], interfaces: [String] = [], serviceSelectors: [LabelSelector] = []) {
        self.name = name
        self.ipAddressPools = ipAddressPools
        self.ipAddressPoolSelectors = ipAddressPoolSelectors
        self.nodeSelectors = nodeSelectors
        self.interfaces = interfaces
        self.serviceSelectors = serviceSelectors
    }
}

/// Announces a set of pools' addresses to BGP peers (MetalLB's `BGPAdvertisement`).
public struct BGPAdvertisement: Hashable, Sendable {
    /// The advertisement's name (unique among BGP advertisements).
    public var name: String
    /// The prefix length IPv4 addresses are announced with (1–32, default 32).
    public var aggregationLength: Int
    /// The prefix length IPv6 addresses are announced with (1–128, default 128).
    public var aggregationLengthV6: Int
    /// The LOCAL_PREF attribute sent to iBGP peers, or nil for none.
    public var localPref: UInt32?
    /// Communities as written: `asn:value`, `large:a:b:c`, or the name of a community alias.
    public var communities: [String]
    /// Pools by name.
    public var ipAddressPools: [String]
    /// Pools by label. With neither list set the advertisement applies to every pool.
    public var ipAddressPoolSelectors: [LabelSelector]
    /// Nodes that announce; empty means every node.
    public var nodeSelectors: [LabelSelector]
    /// Names of the BGP peers to announce to; empty means every peer.
    public var peers: [String]
    /// Services the advertisement applies to; empty means every service.
    public var serviceSelectors: [LabelSelector]

    /// Creates a BGP advertisement.
    public init(name: String, aggregationLength: Int = 32, aggregationLengthV6: Int = 128, localPref: UInt32? = nil,
                communities: [String] = [], ipAddressPools: [String] = [], ipAddressPoolSelectors: [LabelSelector] = [],
                nodeSelectors: [LabelSelector] = [], peers: [String] = [], serviceSelectors: [LabelSelector] = []) {
        self.name = name
        self.aggregationLength = aggregationLength
        self.aggregationLengthV6 = aggregationLengthV6
        self.localPref = localPref
        self.communities = communities
        self.ipAddressPools = ipAddressPools
        self.ipAddressPoolSelectors = ipAddressPoolSelectors
        self.nodeSelectors = nodeSelectors
        self.peers = peers
        self.serviceSelectors = serviceSelectors
    }

    /// The aggregation length for `family`.
    public func aggregationLength(for family: IPFamily) -> Int {
        family == .ipv4 ? aggregationLength : aggregationLengthV6
    }
}

/// Something that selects pools by name or label: both advertisement kinds.
public protocol PoolSelecting {
    /// Pools by name.
    var ipAddressPools: [String] { get }
    /// Pools by label.
    var ipAddressPoolSelectors: [LabelSelector] { get }
}

extension PoolSelecting {
    /// True when the advertisement applies to `pool`: named, selected by label, or neither list set.
    public func selects(_ pool: AddressPool) -> Bool {
        if ipAddressPools.isEmpty && ipAddressPoolSelectors.isEmpty { return true }
        return ipAddressPools.contains(pool.name) || ipAddressPoolSelectors.contains { $0.matches(pool.labels) }
    }
}

extension Layer2Advertisement: PoolSelecting {}
extension BGPAdvertisement: PoolSelecting {}

extension Layer2Advertisement: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, ipAddressPools, ipAddressPoolSelectors, nodeSelectors, interfaces, serviceSelectors
    }

    /// Decodes lbd's schema: only `name` is required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        ipAddressPools = try c.decodeIfPresent([String].self, forKey: .ipAddressPools) ?? []
        ipAddressPoolSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .ipAddressPoolSelectors) ?? []
        nodeSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .nodeSelectors) ?? []
        interfaces = try c.decodeIfPresent([String].self, forKey: .interfaces) ?? []
        serviceSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .serviceSelectors) ?? []
    }

    /// Encodes lbd's schema, leaving out empty lists.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeNonEmpty(ipAddressPools, forKey: .ipAddressPools)
        try c.encodeNonEmpty(ipAddressPoolSelectors, forKey: .ipAddressPoolSelectors)
        try c.encodeNonEmpty(nodeSelectors, forKey: .nodeSelectors)
        try c.encodeNonEmpty(interfaces, forKey: .interfaces)
        try c.encodeNonEmpty(serviceSelectors, forKey: .serviceSelectors)
    }
}

extension BGPAdvertisement: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, aggregationLength, aggregationLengthV6, localPref, communities, ipAddressPools,
             ipAddressPoolSelectors, nodeSelectors, peers, serviceSelectors
    }

    /// Decodes lbd's schema: only `name` is required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        aggregationLength = try c.decodeIfPresent(Int.self, forKey: .aggregationLength) ?? 32
        aggregationLengthV6 = try c.decodeIfPresent(Int.self, forKey: .aggregationLengthV6) ?? 128
        localPref = try c.decodeIfPresent(UInt32.self, forKey: .localPref)
        communities = try c.decodeIfPresent([String].self, forKey: .communities) ?? []
        ipAddressPools = try c.decodeIfPresent([String].self, forKey: .ipAddressPools) ?? []
        ipAddressPoolSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .ipAddressPoolSelectors) ?? []
        nodeSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .nodeSelectors) ?? []
        peers = try c.decodeIfPresent([String].self, forKey: .peers) ?? []
        serviceSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .serviceSelectors) ?? []
    }

    /// Encodes lbd's schema, leaving out defaults.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if aggregationLength != 32 { try c.encode(aggregationLength, forKey: .aggregationLength) }
        if aggregationLengthV6 != 128 { try c.encode(aggregationLengthV6, forKey: .aggregationLengthV6) }
        try c.encodeIfPresent(localPref, forKey: .localPref)
        try c.encodeNonEmpty(communities, forKey: .communities)
        try c.encodeNonEmpty(ipAddressPools, forKey: .ipAddressPools)
        try c.encodeNonEmpty(ipAddressPoolSelectors, forKey: .ipAddressPoolSelectors)
        try c.encodeNonEmpty(nodeSelectors, forKey: .nodeSelectors)
        try c.encodeNonEmpty(peers, forKey: .peers)
        try c.encodeNonEmpty(serviceSelectors, forKey: .serviceSelectors)
    }
}

extension KeyedEncodingContainer {
    mutating func encodeNonEmpty<T: Encodable & Collection>(_ value: T, forKey key: Key) throws {
        if !value.isEmpty { try encode(value, forKey: key) }
    }
}
