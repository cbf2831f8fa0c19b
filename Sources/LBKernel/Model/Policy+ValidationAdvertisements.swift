// Advertisement rules: Layer 2 and BGP advertisements (names, duplicate references and selectors, unknown pools
// and peers), and for BGP the aggregation lengths, communities, identical advertisements and localPref conflicts.

extension Policy {
    /// Checks the references and selectors both advertisement kinds share.
    ///
    /// lbd: MetalLB silently ignores pool names in `ipAddressPools` that name no pool; lbd reports them
    /// (`.unknownReference`), because such a name is almost always a typo that leaves addresses unannounced.
    private func checkPoolReferences(_ ad: some PoolSelecting, nodeSelectors: [LabelSelector],
                                     serviceSelectors: [LabelSelector], object: String,
                                     into problems: inout PolicyProblemList) {
        problems.checkDuplicates(ad.ipAddressPools, field: "ipAddressPools", object: object)
        let poolNames = Set(pools.map(\.name))
        for (index, name) in ad.ipAddressPools.enumerated() where !poolNames.contains(name) {
            problems.add(.unknownReference, object, "ipAddressPools[\(index)]",
                         "no pool is named '\(name)'; fix the name or define the pool")
        }
        problems.checkSelectors(ad.ipAddressPoolSelectors, field: "ipAddressPoolSelectors", object: object)
        problems.checkSelectors(nodeSelectors, field: "nodeSelectors", object: object)
        problems.checkSelectors(serviceSelectors, field: "serviceSelectors", object: object)
    }

    /// Checks every Layer 2 advertisement.
    func validateLayer2Advertisements(into problems: inout PolicyProblemList) {
        problems.checkNames(layer2Advertisements.map(\.name), kind: .layer2Advertisement)
        for (index, ad) in layer2Advertisements.enumerated() {
            let object = PolicyObjectKind.layer2Advertisement.label(ad.name, index: index)
            checkPoolReferences(ad, nodeSelectors: ad.nodeSelectors, serviceSelectors: ad.serviceSelectors,
                                object: object, into: &problems)
        }
    }

    /// Checks every BGP advertisement, then the localPref conflicts between pairs of them.
    func validateBGPAdvertisements(into problems: inout PolicyProblemList) {
        problems.checkNames(bgpAdvertisements.map(\.name), kind: .bgpAdvertisement)
        let peerNames = Set(bgpPeers.map(\.name))
        for (index, ad) in bgpAdvertisements.enumerated() {
            let object = PolicyObjectKind.bgpAdvertisement.label(ad.name, index: index)
            checkPoolReferences(ad, nodeSelectors: ad.nodeSelectors, serviceSelectors: ad.serviceSelectors,
                                object: object, into: &problems)
            checkAggregation(ad, object: object, into: &problems)
            problems.append(contentsOf: resolveCommunities(ad.communities, object: object).1)
            problems.checkDuplicates(ad.peers, field: "peers", object: object)
            // lbd: MetalLB ignores unknown peer names; an advertisement to a peer that does not exist is a typo.
            for (p, name) in ad.peers.enumerated() where !peerNames.contains(name) {
                problems.add(.unknownReference, object, "peers[\(p)]",
                             "no BGP peer is named '\(name)'; fix the name or define the peer")
            }
            var unnamed = ad
            unnamed.name = ""
            if let twin = bgpAdvertisements[..<index].firstIndex(where: { var o = $0; o.name = ""; return o == unnamed }) {
                problems.add(.duplicate, object, nil,
                             "identical to \(PolicyObjectKind.bgpAdvertisement.label(bgpAdvertisements[twin].name, index: twin)) "
                             + "apart from the name; remove one of them")
            }
        }
        checkLocalPreferences(into: &problems)
    }

    /// Checks the aggregation lengths: their ranges, the exclusion with serviceSelectors, and that every entry of
    /// every selected pool can be rolled up (the length is at least that of the entry's widest CIDR).
    private func checkAggregation(_ ad: BGPAdvertisement, object: String, into problems: inout PolicyProblemList) {
        var valid: Set<IPFamily> = []
        for family in IPFamily.allCases {
            let field = family == .ipv4 ? "aggregationLength" : "aggregationLengthV6"
            let length = ad.aggregationLength(for: family)
            if (1...family.bitWidth).contains(length) {
                valid.insert(family)
            } else {
                problems.add(.invalidValue, object, field,
                             "\(field) \(length) is not an \(family) prefix length; use 1 to \(family.bitWidth) "
                             + "(\(family.bitWidth), the default, announces each address on its own)")
            }
            if !ad.serviceSelectors.isEmpty && length != family.bitWidth {
                problems.add(.conflict, object, field,
                             "serviceSelectors and a non-default \(field) are mutually exclusive (one service's "
                             + "address cannot carry an aggregate); remove one of them")
            }
        }
        for (p, pool) in pools.enumerated() where ad.selects(pool) {
            for (e, block) in pool.addresses.enumerated() where valid.contains(block.family) {
                let length = ad.aggregationLength(for: block.family)
                guard let widest = block.prefixes.map(\.length).min(), length < widest else { continue }
                let field = block.family == .ipv4 ? "aggregationLength" : "aggregationLengthV6"
                problems.add(.invalidValue, object, field,
                             "\(field) \(length) is shorter than the /\(widest) in \(PolicyObjectKind.pool.label(pool.name, index: p)) "
                             + "addresses[\(e)] (\(block)); an entry can only be rolled up into prefixes at least as "
                             + "long as its widest CIDR: use \(widest) or more, or widen the entry")
            }
        }
    }

    /// Reports two advertisements on a shared pool with different localPref, unless they cannot send the same
    /// update: different aggregation (per family the pool holds), disjoint non-empty `peers`, node selectors that
    /// cannot select one node, or either has serviceSelectors (checked when announcing). An unset localPref is
    /// 0, as in MetalLB.
    private func checkLocalPreferences(into problems: inout PolicyProblemList) {
        let ads = bgpAdvertisements
        for later in ads.indices {
            for earlier in 0..<later {
                let a = ads[earlier], b = ads[later]
                guard a.serviceSelectors.isEmpty, b.serviceSelectors.isEmpty,
                      (a.localPref ?? 0) != (b.localPref ?? 0) else { continue }
                if !a.peers.isEmpty && !b.peers.isEmpty && Set(a.peers).isDisjoint(with: b.peers) { continue }
                if !a.nodeSelectors.canSelectSameObject(as: b.nodeSelectors) { continue }
                let clashing = pools.enumerated().filter { _, pool in
                    a.selects(pool) && b.selects(pool) && !Self.aggregationDiffers(a, b, in: pool)
                }
                guard !clashing.isEmpty else { continue }
                let names = clashing.map { PolicyObjectKind.pool.label($1.name, index: $0) }.joined(separator: ", ")
                problems.add(.conflict, PolicyObjectKind.bgpAdvertisement.label(b.name, index: later), "localPref",
                             "localPref \(b.localPref ?? 0) differs from the localPref \(a.localPref ?? 0) of "
                             + "\(PolicyObjectKind.bgpAdvertisement.label(a.name, index: earlier)) for \(names): both "
                             + "would announce the same prefixes to the same peers from the same nodes; use one "
                             + "localPref, or separate them by aggregation length, peers or nodeSelectors")
            }
        }
    }

    /// MetalLB's `isAggrLengthDifferent`: the lengths differ for every family the pool holds.
    private static func aggregationDiffers(_ a: BGPAdvertisement, _ b: BGPAdvertisement, in pool: AddressPool) -> Bool {
        let families = pool.families
        if families.isEmpty { return true }
        return families.allSatisfy { a.aggregationLength(for: $0) != b.aggregationLength(for: $0) }
    }
}
