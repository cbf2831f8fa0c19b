// Legacy config text → lbd's model.
//
// - `address-pools[]` → one AddressPool each (same name). A `layer2` pool `P` also gets the Layer 2
//   advertisement `P` for itself alone; a `bgp` pool `P` gets one BGP advertisement per `bgp-advertisements`
//   entry, named `P-1`, `P-2`, … (or `P-1` with MetalLB's defaults when it lists none).
// - `peers[]` → BGP peers named `peer1`, `peer2`, … in the order written (numbered across all documents).
// - `bgp-communities` → community aliases; `bfd-profiles[]` → BFD profiles (same names).
// Each entry is decoded on its own, so one bad entry does not hide the problems of the others.

extension MetalLBImport {
    /// Converts one legacy config document.
    mutating func addLegacyConfig(_ root: YAMLNode, scope: inout DocumentScope) {
        guard root.entries != nil else {
            scope.report(.wrongType, "a MetalLB config is a mapping with the keys "
                         + "\(LegacyConfig.CodingKeys.allCaseNames.joined(separator: ", ")); found \(root.shapeName)",
                         at: root.location)
            return
        }
        scope.diagnose(root, schema: .legacyConfig, place: "the top level of the config")
        for (index, item) in Self.items(root, "peers", scope: &scope) {
            addLegacyPeer(item, index: index, scope: &scope)
        }
        if let communities = root["bgp-communities"], communities.value != .null,
           scope.decode([String: String].self, from: communities, field: "bgp-communities") != nil {
            for entry in communities.entries ?? [] {
                addAlias(entry.key, value: entry.value, object: scope.object,
                         field: "bgp-communities.\(entry.key)", origin: entry.value, legacy: true, scope: &scope)
            }
        }
        for (index, item) in Self.items(root, "address-pools", scope: &scope) {
            addLegacyPool(item, index: index, scope: &scope)
        }
        for (index, item) in Self.items(root, "bfd-profiles", scope: &scope) {
            let field = "bfd-profiles[\(index)]"
            let object = item["name"]?.scalar.map { "BFD profile '\($0)'" } ?? "\(field)"
            guard let profile = scope.decode(LegacyConfig.BFDProfile.self, from: item, object: object, field: field)
            else { continue }
            record(.bfdProfile, profile.name, index: policy.bfdProfiles.count,
                   origin: Origin(node: item, object: object, field: field, legacy: true, lineOffset: scope.lineOffset))
            policy.bfdProfiles.append(BFDProfile(
                name: profile.name, receiveInterval: profile.receiveInterval, transmitInterval: profile.transmitInterval,
                echoInterval: profile.echoInterval, detectMultiplier: profile.detectMultiplier,
                minimumTtl: profile.minimumTtl, echoMode: profile.echoMode, passiveMode: profile.passiveMode))
        }
    }

    /// The items of the list under `key`; none when absent, and a problem when it is not a list.
    static func items(_ node: YAMLNode, _ key: String, field: String = "",
                      scope: inout DocumentScope) -> [(Int, YAMLNode)] {
        guard let value = node[key], value.value != .null else { return [] }
        guard let items = value.items else {
            scope.report(.wrongType, "expected a list, found \(value.shapeName); write a list: each entry on its "
                         + "own line starting with '- ', indented under '\(key):'",
                         field: MisindentationDiagnosis.join(field, key), at: value.location)
            return []
        }
        return Array(items.enumerated())
    }

    private mutating func addLegacyPeer(_ item: YAMLNode, index: Int, scope: inout DocumentScope) {
        let field = "peers[\(index)]"
        legacyPeerCount += 1
        let name = "peer\(legacyPeerCount)"
        let object = "peer \"\(name)\"" + (item["peer-address"]?.scalar.map { " (peer-address \($0))" } ?? "")
        guard let peer = scope.decode(LegacyConfig.Peer.self, from: item, object: object, field: field) else { return }
        var routerID: IPv4Address?
        if let text = peer.routerID, !text.isEmpty {
            routerID = IPv4Address(text)
            if routerID == nil {
                scope.report(.invalidValue, "'\(text)' is not an IPv4 address (a router ID is 32 bits, written "
                             + "like an IPv4 address)", object: object, field: "\(field).router-id",
                             at: item["router-id"]?.location)
            }
        }
        record(.bgpPeer, name, index: policy.bgpPeers.count,
               origin: Origin(node: item, object: object, field: field, legacy: true, lineOffset: scope.lineOffset))
        policy.bgpPeers.append(BGPPeer(
            name: name, myASN: peer.myASN, peerASN: peer.peerASN, peerAddress: peer.peerAddress,
            sourceAddress: peer.sourceAddress, peerPort: peer.peerPort ?? 179, holdTime: peer.holdTime,
            keepaliveTime: peer.keepaliveTime, routerID: routerID,
            nodeSelectors: (peer.nodeSelectors ?? []).map(\.model), password: peer.password.nonEmpty,
            bfdProfile: peer.bfdProfile.nonEmpty, ebgpMultiHop: peer.ebgpMultiHop ?? false))
    }

    private mutating func addLegacyPool(_ item: YAMLNode, index: Int, scope: inout DocumentScope) {
        let field = "address-pools[\(index)]"
        let object = item["name"]?.scalar.map { "pool \"\($0)\"" } ?? field
        guard let pool = scope.decode(LegacyConfig.Pool.self, from: item, object: object, field: field) else { return }
        let addresses = Self.addresses(item["addresses"], field: "\(field).addresses", object: object, scope: &scope)
        let origin = Origin(node: item, object: object, field: field, legacy: true, lineOffset: scope.lineOffset)
        record(.pool, pool.name, index: policy.pools.count, origin: origin)
        policy.pools.append(AddressPool(name: pool.name, addresses: addresses, autoAssign: pool.autoAssign ?? true,
                                        avoidBuggyIPs: pool.avoidBuggyIPs ?? false))
        let advertisements = pool.bgpAdvertisements ?? []
        switch pool.protocol {
        case nil:
            scope.report(.missingKey, "the pool has no protocol; add `protocol: layer2` (ARP/NDP) or "
                         + "`protocol: bgp`", object: object, field: "\(field).protocol", at: item.location)
        case "layer2"?:
            if !advertisements.isEmpty {
                scope.report(.conflict, "bgp-advertisements are only allowed in a pool with protocol bgp, and this "
                             + "pool's protocol is layer2; remove them or change the protocol",
                             object: object, field: "\(field).bgp-advertisements",
                             at: item["bgp-advertisements"]?.location)
            }
            record(.layer2Advertisement, pool.name, index: policy.layer2Advertisements.count, origin: origin)
            policy.layer2Advertisements.append(Layer2Advertisement(name: pool.name, ipAddressPools: [pool.name]))
        case "bgp"?:
            let nodes = item["bgp-advertisements"]?.items ?? []
            for (number, ad) in (advertisements.isEmpty ? [LegacyConfig.BGPAdvertisement()] : advertisements)
                .enumerated() {
                let name = "\(pool.name)-\(number + 1)"
                let adOrigin = number < nodes.count
                    ? Origin(node: nodes[number], object: "\(object), bgp-advertisements[\(number)]",
                             field: "\(field).bgp-advertisements[\(number)]", legacy: true,
                             lineOffset: scope.lineOffset)
                    : Origin(node: item, object: "\(object) (its default BGP advertisement)", field: field,
                             legacy: true, lineOffset: scope.lineOffset)
                record(.bgpAdvertisement, name, index: policy.bgpAdvertisements.count, origin: adOrigin)
                policy.bgpAdvertisements.append(BGPAdvertisement(
                    name: name, aggregationLength: ad.aggregationLength ?? 32,
                    aggregationLengthV6: ad.aggregationLengthV6 ?? 128, localPref: ad.localPref,
                    communities: ad.communities ?? [], ipAddressPools: [pool.name]))
            }
        case let other?:
            let hint = other == "arp" ? " ('arp' is the old name of layer2)" : ""
            scope.report(.invalidValue, "unknown protocol '\(other)'\(hint); use layer2 or bgp", object: object,
                         field: "\(field).protocol", at: item["protocol"]?.location)
        }
    }

    /// Parses each address entry, reporting every bad one at its own line.
    static func addresses(_ node: YAMLNode?, field: String, object: String,
                          scope: inout DocumentScope) -> [AddressBlock] {
        var blocks: [AddressBlock] = []
        for (index, entry) in (node?.items ?? []).enumerated() {
            guard let text = entry.scalar else { continue }
            do {
                blocks.append(try AddressBlock(parsing: text))
            } catch {
                scope.report(.invalidValue, error.description, object: object, field: "\(field)[\(index)]",
                             at: entry.location)
            }
        }
        return blocks
    }

    /// Adds a community alias, reporting a value that is not a community.
    mutating func addAlias(_ name: String, value: YAMLNode, object: String, field: String, origin: YAMLNode,
                           legacy: Bool, scope: inout DocumentScope) {
        guard let text = value.scalar else { return }
        do {
            let community = try BGPCommunity(parsing: text)
            record(.community, name, index: policy.communities.count,
                   origin: Origin(node: origin, object: object, field: field, legacy: legacy,
                                  lineOffset: scope.lineOffset))
            policy.communities.append(CommunityAlias(name: name, value: community))
        } catch {
            scope.report(.invalidValue, error.description, object: object, field: field, at: value.location)
        }
    }
}

extension Optional<String> {
    /// Nil for nil or the empty string (Go's zero value means "not set").
    var nonEmpty: String? { self?.isEmpty == false ? self : nil }
}
