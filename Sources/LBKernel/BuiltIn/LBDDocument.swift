/// One document of lbd's own file schema: the ``Policy`` keys at the top level, plus `services:` and `nodes:`.
///
/// Every key may be omitted; a key the schema does not know is an error. For example:
///
/// ```yaml
/// pools:
///   - name: default
///     addresses: [192.0.2.0/28]
/// layer2Advertisements:
///   - name: all
/// services:
///   - name: web
///     ports: [TCP/80, TCP/443]
/// nodes:
///   - name: host-a
/// ```
public struct LBDDocument: Hashable, Sendable {
    /// The policy objects of the document.
    public var policy: Policy
    /// The services of the document.
    public var services: [ServiceEntry]
    /// The nodes of the document.
    public var nodes: [Node]

    /// Creates a document.
    public init(policy: Policy = .empty, services: [ServiceEntry] = [], nodes: [Node] = []) {
        self.policy = policy
        self.services = services
        self.nodes = nodes
    }

    /// Decodes `node` strictly: unknown keys, wrong shapes and bad values are problems naming file, line and key.
    public static func decode(from node: YAMLNode) throws(ConfigError) -> LBDDocument {
        try StrictYAMLDecoder().decode(LBDDocument.self, from: node)
    }
}

extension LBDDocument: Decodable {
    /// The top-level keys: the policy's keys (kept in step with `Policy.CodingKeys` by a test) and two more.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case pools, layer2Advertisements, bgpAdvertisements, bgpPeers, communities, bfdProfiles, namespaceLabels
        case services, nodes
    }

    /// Decodes a document; every key may be omitted.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        policy = Policy(
            pools: try c.decodeIfPresent([AddressPool].self, forKey: .pools) ?? [],
            layer2Advertisements: try c.decodeIfPresent([Layer2Advertisement].self, forKey: .layer2Advertisements) ?? [],
            bgpAdvertisements: try c.decodeIfPresent([BGPAdvertisement].self, forKey: .bgpAdvertisements) ?? [],
            bgpPeers: try c.decodeIfPresent([BGPPeer].self, forKey: .bgpPeers) ?? [],
            communities: try c.decodeIfPresent([CommunityAlias].self, forKey: .communities) ?? [],
            bfdProfiles: try c.decodeIfPresent([BFDProfile].self, forKey: .bfdProfiles) ?? [],
            namespaceLabels: try c.decodeIfPresent([String: Labels].self, forKey: .namespaceLabels) ?? [:])
        services = try c.decodeIfPresent([ServiceEntry].self, forKey: .services) ?? []
        nodes = try c.decodeIfPresent([Node].self, forKey: .nodes) ?? []
    }
}
