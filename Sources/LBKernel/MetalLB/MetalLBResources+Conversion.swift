// `metallb.io` resources → lbd's model. Every object keeps its `metadata.name`; pool labels become the pool's
// labels (matched by advertisements' `ipAddressPoolSelectors`). Go's zero values mean "not set", as in
// MetalLB: an empty `password`, `routerID` or `bfdProfile`, a `localPref` of 0, an empty `passwordSecret`.

extension MetalLBImport {
    /// The status kinds MetalLB writes; they carry no configuration and are skipped.
    static let statusKinds: Set<String> = ["ServiceL2Status", "ServiceBGPStatus", "ConfigurationState"]

    /// The spec schema of each supported apiVersion and kind.
    static func specSchema(apiVersion: String, kind: String) -> MisindentationDiagnosis.Schema? {
        switch (apiVersion, kind) {
        case ("metallb.io/v1beta1", "IPAddressPool"): .ipAddressPoolSpec
        case ("metallb.io/v1beta1", "L2Advertisement"): .l2AdvertisementSpec
        case ("metallb.io/v1beta1", "BGPAdvertisement"): .bgpAdvertisementSpec
        case ("metallb.io/v1beta1", "BGPPeer"): .bgpPeerSpecV1Beta1
        case ("metallb.io/v1beta2", "BGPPeer"): .bgpPeerSpec
        case ("metallb.io/v1beta1", "Community"): .communitySpec
        case ("metallb.io/v1beta1", "BFDProfile"): .bfdProfileSpec
        default: nil
        }
    }

    /// Converts one `metallb.io` resource.
    mutating func addResource(_ document: YAMLNode, apiVersion: String, kind: String, name: String) {
        if Self.statusKinds.contains(kind) { return }
        guard let specSchema = Self.specSchema(apiVersion: apiVersion, kind: kind) else {
            problems.append(Self.unsupported(document, name: name, apiVersion: apiVersion, kind: kind))
            return
        }
        var scope = DocumentScope(object: "\(kind) (\(name))")
        defer { problems += scope.problems }
        scope.diagnose(document, schema: .resource(spec: specSchema), place: "the top level of the document")
        var meta: ObjectMeta?
        if let metadata = document["metadata"], metadata.value != .null {
            meta = scope.decode(ObjectMeta.self, from: metadata, field: "metadata")
            if meta == nil { return }
        }
        guard let objectName = meta?.name, !objectName.isEmpty else {
            scope.report(.missingKey, "every MetalLB object needs a name; add `name:` under `metadata:`",
                         field: "metadata.name", at: (document["metadata"] ?? document).location)
            return
        }
        scope.object = "\(kind) \"\(objectName)\""
        let spec = document["spec"] ?? YAMLNode(.null, location: document.location)
        let origin = Origin(node: spec, object: scope.object, field: "spec", legacy: false, lineOffset: nil,
                            metadata: document["metadata"])
        switch kind {
        case "IPAddressPool":
            guard let s = scope.decode(IPAddressPoolSpec.self, from: spec, field: "spec") else { return }
            let addresses = Self.addresses(spec["addresses"], field: "spec.addresses", object: scope.object,
                                           scope: &scope)
            record(.pool, objectName, index: policy.pools.count, origin: origin)
            policy.pools.append(AddressPool(
                name: objectName, addresses: addresses, autoAssign: s.autoAssign ?? true,
                avoidBuggyIPs: s.avoidBuggyIPs ?? false,
                serviceAllocation: s.serviceAllocation.map {
                    AddressPool.ServiceAllocation(priority: $0.priority ?? 0, namespaces: $0.namespaces ?? [],
                                                  namespaceSelectors: $0.namespaceSelectors.model,
                                                  serviceSelectors: $0.serviceSelectors.model)
                },
                labels: meta?.labels ?? [:]))
        case "L2Advertisement":
            guard let s = scope.decode(L2AdvertisementSpec.self, from: spec, field: "spec") else { return }
            if !(s.preferredNodeSelectors ?? []).isEmpty {
                scope.report(.invalidValue, "preferredNodeSelectors (MetalLB's unreleased Layer 2 node preference) "
                             + "is not supported by lbd; remove it", field: "spec.preferredNodeSelectors",
                             at: spec["preferredNodeSelectors"]?.location)
            }
            record(.layer2Advertisement, objectName, index: policy.layer2Advertisements.count, origin: origin)
            policy.layer2Advertisements.append(Layer2Advertisement(
                name: objectName, ipAddressPools: s.ipAddressPools ?? [],
                ipAddressPoolSelectors: s.ipAddressPoolSelectors.model, nodeSelectors: s.nodeSelectors.model,
                interfaces: s.interfaces ?? [], serviceSelectors: s.serviceSelectors.model))
        case "BGPAdvertisement":
            guard let s = scope.decode(BGPAdvertisementSpec.self, from: spec, field: "spec") else { return }
            record(.bgpAdvertisement, objectName, index: policy.bgpAdvertisements.count, origin: origin)
            policy.bgpAdvertisements.append(BGPAdvertisement(
                name: objectName, aggregationLength: s.aggregationLength ?? 32,
                aggregationLengthV6: s.aggregationLengthV6 ?? 128, localPref: s.localPref == 0 ? nil : s.localPref,
                communities: s.communities ?? [], ipAddressPools: s.ipAddressPools ?? [],
                ipAddressPoolSelectors: s.ipAddressPoolSelectors.model, nodeSelectors: s.nodeSelectors.model,
                peers: s.peers ?? [], serviceSelectors: s.serviceSelectors.model))
        case "BGPPeer":
            let decoded = apiVersion == "metallb.io/v1beta1"
                ? scope.decode(BGPPeerSpecV1Beta1.self, from: spec, field: "spec")?.v1beta2
                : scope.decode(BGPPeerSpec.self, from: spec, field: "spec")
            guard let s = decoded, let peer = Self.peer(s, name: objectName, spec: spec, scope: &scope) else { return }
            record(.bgpPeer, objectName, index: policy.bgpPeers.count, origin: origin)
            policy.bgpPeers.append(peer)
        case "Community":
            guard let s = scope.decode(CommunitySpec.self, from: spec, field: "spec") else { return }
            let items = spec["communities"]?.items ?? []
            for (index, entry) in (s.communities ?? []).enumerated() where index < items.count {
                addAlias(entry.name, value: items[index]["value"] ?? items[index], object: scope.object,
                         field: "spec.communities[\(index)]", origin: items[index], legacy: false, scope: &scope)
            }
        case "BFDProfile":
            guard let s = scope.decode(BFDProfileSpec.self, from: spec, field: "spec") else { return }
            record(.bfdProfile, objectName, index: policy.bfdProfiles.count, origin: origin)
            policy.bfdProfiles.append(BFDProfile(
                name: objectName, receiveInterval: s.receiveInterval, transmitInterval: s.transmitInterval,
                echoInterval: s.echoInterval, detectMultiplier: s.detectMultiplier, minimumTtl: s.minimumTtl,
                echoMode: s.echoMode, passiveMode: s.passiveMode))
        default:
            preconditionFailure("specSchema(apiVersion:kind:) and addResource disagree about \(kind)")
        }
    }

    /// The model peer for a BGPPeer spec, or nil after reporting a value that cannot be read.
    private static func peer(_ s: BGPPeerSpec, name: String, spec: YAMLNode,
                             scope: inout DocumentScope) -> BGPPeer? {
        var ok = true
        func address(_ key: String, _ text: String?) -> IPAddress? {
            guard let text = text.nonEmpty else { return nil }
            if let address = IPAddress(text) { return address }
            scope.report(.invalidValue, "'\(text)' is not an IPv4 or IPv6 address", field: "spec.\(key)",
                         at: spec[key]?.location)
            ok = false
            return nil
        }
        let peerAddress = address("peerAddress", s.peerAddress)
        let sourceAddress = address("sourceAddress", s.sourceAddress)
        var routerID: IPv4Address?
        if let text = s.routerID.nonEmpty {
            routerID = IPv4Address(text)
            if routerID == nil {
                scope.report(.invalidValue, "'\(text)' is not an IPv4 address (a router ID is 32 bits, written like "
                             + "an IPv4 address)", field: "spec.routerID", at: spec["routerID"]?.location)
                ok = false
            }
        }
        var dynamicASN: BGPPeer.DynamicASN?
        if let text = s.dynamicASN.nonEmpty {
            dynamicASN = BGPPeer.DynamicASN(rawValue: text)
            if dynamicASN == nil {
                scope.report(.invalidValue, "dynamicASN is 'internal' or 'external', not '\(text)'",
                             field: "spec.dynamicASN", at: spec["dynamicASN"]?.location)
                ok = false
            }
        }
        guard ok else { return nil }
        let secret = s.passwordSecret.flatMap { $0.name.isEmpty ? nil : $0 }
        return BGPPeer(
            name: name, myASN: s.myASN ?? 0, peerASN: s.peerASN, peerAddress: peerAddress, dynamicASN: dynamicASN,
            localASN: s.localASN, interface: s.interface.nonEmpty, sourceAddress: sourceAddress,
            peerPort: s.peerPort ?? 179, holdTime: s.holdTime, keepaliveTime: s.keepaliveTime,
            connectTime: s.connectTime, routerID: routerID, nodeSelectors: s.nodeSelectors.model,
            password: s.password.nonEmpty, passwordSecret: secret, bfdProfile: s.bfdProfile.nonEmpty,
            enableGracefulRestart: s.enableGracefulRestart ?? false, ebgpMultiHop: s.ebgpMultiHop ?? false,
            vrf: s.vrf.nonEmpty, dualStackAddressFamily: (s.dualStackAddressFamily ?? false) || (s.disableMP ?? false))
    }
}
