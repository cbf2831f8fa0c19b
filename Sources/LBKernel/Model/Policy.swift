/// Everything that decides which addresses exist and how they are announced: pools, advertisements, peers,
/// community aliases and BFD profiles, plus the namespace labels that pool selectors are matched against.
///
/// A policy is checked as a whole by ``validate()``; an invalid whole is never applied.
public struct Policy: Hashable, Sendable {
    /// Address pools.
    public var pools: [AddressPool]
    /// Layer 2 advertisements.
    public var layer2Advertisements: [Layer2Advertisement]
    /// BGP advertisements.
    public var bgpAdvertisements: [BGPAdvertisement]
    /// BGP peers.
    public var bgpPeers: [BGPPeer]
    /// Community aliases usable in BGP advertisements.
    public var communities: [CommunityAlias]
    /// BFD profiles usable by BGP peers.
    public var bfdProfiles: [BFDProfile]
    /// Labels of namespaces, for pools' `namespaceSelectors`.
    public var namespaceLabels: [String: Labels]

    /// Creates a policy.
    public init(pools: [AddressPool] = [], layer2Advertisements: [Layer2Advertisement] = [],
                bgpAdvertisements: [BGPAdvertisement] = [], bgpPeers: [BGPPeer] = [],
                communities: [CommunityAlias] = [], bfdProfiles: [BFDProfile] = [],
                namespaceLabels: [String: Labels] = [:]) {
        self.pools = pools
        self.layer2Advertisements = layer2Advertisements
        self.bgpAdvertisements = bgpAdvertisements
        self.bgpPeers = bgpPeers
        self.communities = communities
        self.bfdProfiles = bfdProfiles
        self.namespaceLabels = namespaceLabels
    }

    /// The policy with nothing in it.
    public static let empty = Policy()

    /// The pool called `name`, if any.
    public func pool(named name: String) -> AddressPool? { pools.first { $0.name == name } }

    /// The union of two policies (validation later rejects duplicates between them).
    public func merged(with other: Policy) -> Policy {
        Policy(pools: pools + other.pools,
               layer2Advertisements: layer2Advertisements + other.layer2Advertisements,
               bgpAdvertisements: bgpAdvertisements + other.bgpAdvertisements,
               bgpPeers: bgpPeers + other.bgpPeers,
               communities: communities + other.communities,
               bfdProfiles: bfdProfiles + other.bfdProfiles,
               namespaceLabels: namespaceLabels.merging(other.namespaceLabels) { a, _ in a })
    }
}

extension Policy: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case pools, layer2Advertisements, bgpAdvertisements, bgpPeers, communities, bfdProfiles, namespaceLabels
    }

    /// Decodes lbd's policy schema; every list may be omitted.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pools = try c.decodeIfPresent([AddressPool].self, forKey: .pools) ?? []
        layer2Advertisements = try c.decodeIfPresent([Layer2Advertisement].self, forKey: .layer2Advertisements) ?? []
        bgpAdvertisements = try c.decodeIfPresent([BGPAdvertisement].self, forKey: .bgpAdvertisements) ?? []
        bgpPeers = try c.decodeIfPresent([BGPPeer].self, forKey: .bgpPeers) ?? []
        communities = try c.decodeIfPresent([CommunityAlias].self, forKey: .communities) ?? []
        bfdProfiles = try c.decodeIfPresent([BFDProfile].self, forKey: .bfdProfiles) ?? []
        namespaceLabels = try c.decodeIfPresent([String: Labels].self, forKey: .namespaceLabels) ?? [:]
    }

    /// Encodes lbd's policy schema, leaving out empty lists.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNonEmpty(pools, forKey: .pools)
        try c.encodeNonEmpty(layer2Advertisements, forKey: .layer2Advertisements)
        try c.encodeNonEmpty(bgpAdvertisements, forKey: .bgpAdvertisements)
        try c.encodeNonEmpty(bgpPeers, forKey: .bgpPeers)
        try c.encodeNonEmpty(communities, forKey: .communities)
        try c.encodeNonEmpty(bfdProfiles, forKey: .bfdProfiles)
        try c.encodeNonEmpty(namespaceLabels, forKey: .namespaceLabels)
    }
}
