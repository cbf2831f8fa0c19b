/// Works out, for every allocated service and every node, whether the node announces it and how: pure, with no
/// I/O and no clock, so every rule is table-tested.
///
/// The rules are MetalLB's (speaker): a node announces nothing when it reports `NetworkUnavailable` or carries the
/// exclusion label; traffic policy Cluster needs a ready endpoint anywhere, Local one on the node; an
/// advertisement applies when it selects the pool (and the service, through its service selectors) and the node.
public enum Reconciler {
    /// Builds the plan for `allocations` under `policy`, over `nodes`.
    public static func plan(policy: Policy, services: [Service], nodes: [Node],
                            allocations: [ServiceID: Allocation]) -> AnnouncementPlan {
        let sortedNodes = nodes.sorted()
        var plan = AnnouncementPlan(nodes: sortedNodes.map(\.name))
        let profiles = Dictionary(policy.bfdProfiles.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for node in sortedNodes {
            let peers = policy.bgpPeers.filter { $0.nodeSelectors.matchesAllOrAny(node.labels) }
                .sorted { $0.name < $1.name }
            let named = peers.compactMap(\.bfdProfile).compactMap { profiles[$0] }
            plan.desired[node.name] = DesiredSet(node: node.name, bgpPeers: peers,
                                                 bfdProfiles: Dictionary(named.map { ($0.name, $0) },
                                                                         uniquingKeysWith: { a, _ in a }))
        }
        // Resolved once per advertisement, not per route: a validated policy's communities always resolve.
        let communities = Dictionary(policy.bgpAdvertisements.map { ad in
            (ad.name, Array(Set((try? policy.resolvedCommunities(for: ad)) ?? [])).sorted())
        }, uniquingKeysWith: { first, _ in first })
        let pools = Dictionary(policy.pools.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        for service in services.sorted(by: { $0.id < $1.id }) {
            var perNode: [String: NodeDecision] = [:]
            guard let allocation = allocations[service.id], let pool = pools[allocation.pool] else {
                for node in sortedNodes {
                    perNode[node.name] = NodeDecision(layer2: .skip(.notAllocated), bgp: .skip(.notAllocated))
                }
                plan.decisions[service.id] = perNode
                continue
            }
            let layer2Ads = policy.layer2Advertisements.filter {
                $0.selects(pool) && $0.serviceSelectors.matchesAllOrAny(service.labels)
            }
            let bgpAds = policy.bgpAdvertisements.filter {
                $0.selects(pool) && $0.serviceSelectors.matchesAllOrAny(service.labels)
            }
            // Layer 2 candidates are computed first: every node needs the whole list for the election.
            var layer2Decisions: [String: AnnouncementDecision] = [:]
            var candidates: [String] = []
            for node in sortedNodes {
                let decision = layer2Decision(service: service, node: node, ads: layer2Ads)
                layer2Decisions[node.name] = decision
                if decision.announces { candidates.append(node.name) }
            }
            for node in sortedNodes {
                let (bgpDecision, routes) = bgpDecision(service: service, node: node, ads: bgpAds,
                                                        addresses: allocation.addresses, communities: communities)
                let layer2 = layer2Decisions[node.name]!
                perNode[node.name] = NodeDecision(layer2: layer2, bgp: bgpDecision)
                guard layer2.announces || bgpDecision.announces else { continue }
                var announcement = ServiceAnnouncement(service: service.id, addresses: allocation.addresses,
                                                       pool: allocation.pool, bgp: routes)
                if layer2.announces {
                    announcement.layer2 = Layer2Announcement(
                        candidates: candidates, interfaces: interfaces(of: layer2Ads, node: node))
                }
                plan.desired[node.name]!.services[service.id] = announcement
            }
            plan.decisions[service.id] = perNode
        }
        return plan
    }

    /// The reason shared by both protocols, or nil when the node and endpoints allow announcing at all.
    static func nodeReason(service: Service, node: Node) -> NotAnnouncedReason? {
        if node.networkUnavailable { return .nodeNetworkUnavailable }
        if node.isExcludedFromLoadBalancers { return .nodeExcluded }
        switch service.trafficPolicy {
        case .cluster: if !service.endpoints.any { return .noEndpoints }
        case .local: if !service.endpoints.on(node.name) { return .noLocalEndpoints }
        }
        return nil
    }

    static func layer2Decision(service: Service, node: Node, ads: [Layer2Advertisement]) -> AnnouncementDecision {
        if ads.isEmpty { return .skip(.noAdvertisement) }
        if service.sharingKey != nil && ads.contains(where: { !$0.serviceSelectors.isEmpty }) {
            return .skip(.sharedIPWithServiceSelector)
        }
        if let reason = nodeReason(service: service, node: node) { return .skip(reason) }
        guard ads.contains(where: { $0.nodeSelectors.matchesAllOrAny(node.labels) }) else {
            return .skip(.nodeNotSelected)
        }
        return .announce
    }

    /// The union of the interfaces of the advertisements that select `node`; empty (all) if any has none.
    static func interfaces(of ads: [Layer2Advertisement], node: Node) -> [String] {
        let selecting = ads.filter { $0.nodeSelectors.matchesAllOrAny(node.labels) }
        if selecting.contains(where: { $0.interfaces.isEmpty }) { return [] }
        return Array(Set(selecting.flatMap(\.interfaces))).sorted()
    }

    static func bgpDecision(service: Service, node: Node, ads: [BGPAdvertisement], addresses: [IPAddress],
                            communities: [String: [BGPCommunity]]) -> (AnnouncementDecision, [BGPRoute]) {
        if ads.isEmpty { return (.skip(.noAdvertisement), []) }
        if let reason = nodeReason(service: service, node: node) { return (.skip(reason), []) }
        let selecting = ads.filter { $0.nodeSelectors.matchesAllOrAny(node.labels) }
        if selecting.isEmpty { return (.skip(.nodeNotSelected), []) }
        var routes: [BGPRoute] = []
        for ad in selecting {
            for address in addresses {
                guard let prefix = IPPrefix(address: address, length: ad.aggregationLength(for: address.family)) else {
                    continue
                }
                routes.append(BGPRoute(prefix: prefix, advertisement: ad.name, localPref: ad.localPref,
                                       communities: communities[ad.name] ?? [],
                                       peers: ad.peers.sorted()))
            }
        }
        // Two routes for one prefix with different LOCAL_PREF towards overlapping peers contradict each other.
        for (i, a) in routes.enumerated() {
            for b in routes[(i + 1)...] where a.prefix == b.prefix && a.localPref != b.localPref {
                let overlap = a.peers.isEmpty || b.peers.isEmpty || !Set(a.peers).isDisjoint(with: b.peers)
                if overlap { return (.skip(.conflictingAdvertisements), []) }
            }
        }
        return (.announce, routes.sorted())
    }
}
