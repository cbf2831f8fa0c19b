// The key schemas of every document lbd reads from MetalLB, built from the decoding types' own coding keys so
// the two cannot drift apart.

extension MisindentationDiagnosis.Schema {
    /// A schema whose keys are `keys`' coding keys.
    init<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type, nested: [String: MisindentationDiagnosis.Field] = [:],
                                         itemNoun: String = "item") {
        self.init(keys: Keys.allCaseNames, nested: nested, itemNoun: itemNoun)
    }

    /// `matchExpressions` items.
    static let requirement = Self(SelectorRequirement.CodingKeys.self, itemNoun: "match expression")

    /// A Kubernetes label selector.
    static let labelSelector = Self(ManifestLabelSelector.CodingKeys.self,
                                    nested: ["matchExpressions": .list(.requirement)], itemNoun: "selector")

    /// A legacy `node-selectors` entry.
    static let legacySelector = Self(LegacyConfig.Selector.CodingKeys.self,
                                     nested: ["match-expressions": .list(.requirement)], itemNoun: "selector")

    /// The legacy config text.
    static let legacyConfig = Self(LegacyConfig.CodingKeys.self, nested: [
        "peers": .list(Self(LegacyConfig.Peer.CodingKeys.self,
                            nested: ["node-selectors": .list(.legacySelector)], itemNoun: "peer")),
        "address-pools": .list(Self(LegacyConfig.Pool.CodingKeys.self, nested: [
            "bgp-advertisements": .list(Self(LegacyConfig.BGPAdvertisement.CodingKeys.self,
                                             itemNoun: "BGP advertisement")),
        ], itemNoun: "pool")),
        "bfd-profiles": .list(Self(LegacyConfig.BFDProfile.CodingKeys.self, itemNoun: "BFD profile")),
    ])

    /// Kubernetes object metadata.
    static let objectMeta = Self(ObjectMeta.CodingKeys.self)

    /// A v1 ConfigMap holding a legacy config.
    static let configMap = Self(keys: ["apiVersion", "kind", "metadata", "data", "binaryData", "immutable"],
                                nested: ["metadata": .mapping(.objectMeta),
                                         "data": .mapping(Self(keys: ["config"]))])

    /// A `kind: List` wrapper.
    static let list = Self(keys: ["apiVersion", "kind", "metadata", "items"])

    /// A `metallb.io` resource whose spec has `spec` keys.
    static func resource(spec: Self) -> Self {
        Self(keys: ["apiVersion", "kind", "metadata", "spec", "status"],
             nested: ["metadata": .mapping(.objectMeta), "spec": .mapping(spec)])
    }

    private static let selectorLists: [String: MisindentationDiagnosis.Field] = [
        "ipAddressPoolSelectors": .list(.labelSelector), "nodeSelectors": .list(.labelSelector),
        "serviceSelectors": .list(.labelSelector), "namespaceSelectors": .list(.labelSelector),
    ]

    static let ipAddressPoolSpec = Self(IPAddressPoolSpec.CodingKeys.self, nested: [
        "serviceAllocation": .mapping(Self(IPAddressPoolSpec.ServiceAllocationSpec.CodingKeys.self,
                                           nested: selectorLists)),
    ])
    static let l2AdvertisementSpec = Self(L2AdvertisementSpec.CodingKeys.self, nested: selectorLists)
    static let bgpAdvertisementSpec = Self(BGPAdvertisementSpec.CodingKeys.self, nested: selectorLists)
    static let bgpPeerSpec = Self(BGPPeerSpec.CodingKeys.self, nested: selectorLists.merging([
        "passwordSecret": .mapping(Self(keys: ["name", "namespace"])),
    ]) { a, _ in a })
    static let bgpPeerSpecV1Beta1 = Self(BGPPeerSpecV1Beta1.CodingKeys.self, nested: selectorLists)
    static let communitySpec = Self(CommunitySpec.CodingKeys.self, nested: [
        "communities": .list(Self(CommunitySpec.Entry.CodingKeys.self, itemNoun: "community")),
    ])
    static let bfdProfileSpec = Self(BFDProfileSpec.CodingKeys.self)
}
