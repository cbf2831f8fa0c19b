import Testing
@testable import LBKernel

/// Announcement rules: who announces what, and why not elsewhere.
struct ReconcilerTests {
    static let pool = AddressPool(name: "default", addresses: [try! AddressBlock(parsing: "10.0.0.0/24")],
                                  labels: ["tier": "front"])
    static let v6pool = AddressPool(name: "v6", addresses: [try! AddressBlock(parsing: "fd00::/120")])
    static let nodes = [Node(name: "a", labels: ["zone": "1"]), Node(name: "b", labels: ["zone": "2"]),
                        Node(name: "c", labels: ["zone": "1", Node.excludeLabel: ""]),
                        Node(name: "d", networkUnavailable: true)]
    static let web = ServiceID(namespace: "default", name: "web")

    static func plan(_ policy: Policy, service: Service = Service(id: web), addresses: [String] = ["10.0.0.1"],
                     pool: String = "default") -> AnnouncementPlan {
        var policy = policy
        if policy.pools.isEmpty { policy.pools = [ReconcilerTests.pool, v6pool] }
        return Reconciler.plan(policy: policy, services: [service], nodes: nodes,
                               allocations: [service.id: Allocation(addresses: addresses.map { IPAddress($0)! },
                                                                    pool: pool)])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var policy: Policy
        var service: Service = Service(id: ReconcilerTests.web)
        var node: String
        var layer2: AnnouncementDecision
        var bgp: AnnouncementDecision
        var testDescription: String { name }
    }

    static let l2All = Layer2Advertisement(name: "l2")
    static let bgpAll = BGPAdvertisement(name: "bgp")

    static let cases: [Case] = [
        Case(name: "no advertisements at all", policy: Policy(), node: "a",
             layer2: .skip(.noAdvertisement), bgp: .skip(.noAdvertisement)),
        Case(name: "L2 for all pools, node a", policy: Policy(layer2Advertisements: [l2All]), node: "a",
             layer2: .announce, bgp: .skip(.noAdvertisement)),
        Case(name: "BGP for all pools, node b", policy: Policy(bgpAdvertisements: [bgpAll]), node: "b",
             layer2: .skip(.noAdvertisement), bgp: .announce),
        Case(name: "excluded node", policy: Policy(layer2Advertisements: [l2All], bgpAdvertisements: [bgpAll]),
             node: "c", layer2: .skip(.nodeExcluded), bgp: .skip(.nodeExcluded)),
        Case(name: "network unavailable", policy: Policy(layer2Advertisements: [l2All], bgpAdvertisements: [bgpAll]),
             node: "d", layer2: .skip(.nodeNetworkUnavailable), bgp: .skip(.nodeNetworkUnavailable)),
        Case(name: "node selector excludes b",
             policy: Policy(layer2Advertisements: [Layer2Advertisement(name: "z1", nodeSelectors: [LabelSelector(matchLabels: ["zone": "1"])])]),
             node: "b", layer2: .skip(.nodeNotSelected), bgp: .skip(.noAdvertisement)),
        Case(name: "node selector selects a",
             policy: Policy(bgpAdvertisements: [BGPAdvertisement(name: "z1", nodeSelectors: [LabelSelector(matchLabels: ["zone": "1"])])]),
             node: "a", layer2: .skip(.noAdvertisement), bgp: .announce),
        Case(name: "ad for another pool", policy: Policy(layer2Advertisements: [Layer2Advertisement(name: "x", ipAddressPools: ["v6"])]),
             node: "a", layer2: .skip(.noAdvertisement), bgp: .skip(.noAdvertisement)),
        Case(name: "ad by pool label", policy: Policy(layer2Advertisements: [Layer2Advertisement(name: "x", ipAddressPoolSelectors: [LabelSelector(matchLabels: ["tier": "front"])])]),
             node: "a", layer2: .announce, bgp: .skip(.noAdvertisement)),
        Case(name: "ad service selector not matching", policy: Policy(bgpAdvertisements: [BGPAdvertisement(name: "x", serviceSelectors: [LabelSelector(matchLabels: ["app": "db"])])]),
             node: "a", layer2: .skip(.noAdvertisement), bgp: .skip(.noAdvertisement)),
        Case(name: "ad service selector matching", policy: Policy(bgpAdvertisements: [BGPAdvertisement(name: "x", serviceSelectors: [LabelSelector(matchLabels: ["app": "web"])])]),
             service: Service(id: web, labels: ["app": "web"]),
             node: "a", layer2: .skip(.noAdvertisement), bgp: .announce),
        Case(name: "no endpoints anywhere", policy: Policy(layer2Advertisements: [l2All], bgpAdvertisements: [bgpAll]),
             service: Service(id: web, endpoints: .onNodes([])),
             node: "a", layer2: .skip(.noEndpoints), bgp: .skip(.noEndpoints)),
        Case(name: "cluster policy: endpoints elsewhere are enough", policy: Policy(layer2Advertisements: [l2All]),
             service: Service(id: web, endpoints: .onNodes(["b"])),
             node: "a", layer2: .announce, bgp: .skip(.noAdvertisement)),
        Case(name: "local policy: no local endpoint", policy: Policy(layer2Advertisements: [l2All], bgpAdvertisements: [bgpAll]),
             service: Service(id: web, trafficPolicy: .local, endpoints: .onNodes(["b"])),
             node: "a", layer2: .skip(.noLocalEndpoints), bgp: .skip(.noLocalEndpoints)),
        Case(name: "local policy: local endpoint", policy: Policy(layer2Advertisements: [l2All], bgpAdvertisements: [bgpAll]),
             service: Service(id: web, trafficPolicy: .local, endpoints: .onNodes(["b"])),
             node: "b", layer2: .announce, bgp: .announce),
        Case(name: "shared IP with service-selecting L2 ad",
             policy: Policy(layer2Advertisements: [Layer2Advertisement(name: "x", serviceSelectors: [LabelSelector(matchLabels: ["app": "web"])])]),
             service: Service(id: web, labels: ["app": "web"], sharingKey: "k"),
             node: "a", layer2: .skip(.sharedIPWithServiceSelector), bgp: .skip(.noAdvertisement)),
        Case(name: "conflicting local preferences",
             policy: Policy(bgpAdvertisements: [BGPAdvertisement(name: "p1", localPref: 100), BGPAdvertisement(name: "p2", localPref: 200)]),
             node: "a", layer2: .skip(.noAdvertisement), bgp: .skip(.conflictingAdvertisements)),
        Case(name: "different local preferences to disjoint peers",
             policy: Policy(bgpAdvertisements: [BGPAdvertisement(name: "p1", localPref: 100, peers: ["x"]),
                                                BGPAdvertisement(name: "p2", localPref: 200, peers: ["y"])]),
             node: "a", layer2: .skip(.noAdvertisement), bgp: .announce),
    ]

    @Test(arguments: cases)
    func decision(_ c: Case) {
        let plan = ReconcilerTests.plan(c.policy, service: c.service)
        let decision = plan.decisions[c.service.id]?[c.node]
        #expect(decision?.layer2 == c.layer2)
        #expect(decision?.bgp == c.bgp)
        let inDesired = plan.desiredSet(for: c.node).services[c.service.id]
        #expect((inDesired?.layer2 != nil) == c.layer2.announces)
        #expect((inDesired.map { !$0.bgp.isEmpty } ?? false) == c.bgp.announces)
    }

    @Test func unallocatedServiceIsAnnouncedNowhere() {
        let plan = Reconciler.plan(policy: Policy(pools: [Self.pool], layer2Advertisements: [Self.l2All]),
                                   services: [Service(id: Self.web)], nodes: Self.nodes, allocations: [:])
        #expect(plan.decisions[Self.web]?["a"] == NodeDecision(layer2: .skip(.notAllocated), bgp: .skip(.notAllocated)))
        #expect(plan.desiredSet(for: "a").isEmpty)
    }

    @Test func layer2CandidatesAreEveryEligibleNodeAndInterfacesAreUnited() {
        let policy = Policy(layer2Advertisements: [
            Layer2Advertisement(name: "one", nodeSelectors: [LabelSelector(matchLabels: ["zone": "1"])], interfaces: ["eth1"]),
            Layer2Advertisement(name: "two", interfaces: ["eth0"]),
        ])
        let plan = Self.plan(policy)
        let l2 = plan.desiredSet(for: "a").services[Self.web]?.layer2
        #expect(l2 == Layer2Announcement(candidates: ["a", "b"], interfaces: ["eth0", "eth1"]))
        #expect(plan.desiredSet(for: "b").services[Self.web]?.layer2?.interfaces == ["eth0"])
    }

    @Test func bgpRoutesCarryAggregationCommunitiesAndPeers() {
        let policy = Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "agg", aggregationLength: 24, aggregationLengthV6: 64,
                                                 localPref: 50, communities: ["no-export", "65000:1", "large:1:2:3"],
                                                 peers: ["tor2", "tor1"])],
            communities: [CommunityAlias(name: "no-export", value: .standard(65535, 65281))])
        let plan = Self.plan(policy, addresses: ["10.0.0.7"])
        let routes = plan.desiredSet(for: "a").services[Self.web]?.bgp
        #expect(routes == [BGPRoute(prefix: IPPrefix("10.0.0.0/24")!, advertisement: "agg", localPref: 50,
                                    communities: [.standard(65000, 1), .standard(65535, 65281), .large(1, 2, 3)],
                                    peers: ["tor1", "tor2"])])
    }

    @Test func dualStackServiceGetsOneRoutePerAddress() {
        let pool = AddressPool(name: "dual", addresses: [try! AddressBlock(parsing: "10.1.0.0/24"),
                                                         try! AddressBlock(parsing: "fd00:1::/64")])
        let plan = Reconciler.plan(policy: Policy(pools: [pool], bgpAdvertisements: [Self.bgpAll]),
                                   services: [Service(id: Self.web)], nodes: [Node(name: "a")],
                                   allocations: [Self.web: Allocation(addresses: [IPAddress("10.1.0.1")!, IPAddress("fd00:1::1")!], pool: "dual")])
        #expect(plan.desiredSet(for: "a").services[Self.web]?.bgp.map(\.prefix.description) == ["10.1.0.1/32", "fd00:1::1/128"])
    }

    @Test func eachNodeGetsThePeersWhoseSelectorsMatchItAndTheirBFDProfiles() {
        let zone1 = BGPPeer(name: "tor-z1", myASN: 64500, peerASN: 64501, peerAddress: IPAddress("10.1.0.1"),
                            nodeSelectors: [LabelSelector(matchLabels: ["zone": "1"])], bfdProfile: "fast")
        let everywhere = BGPPeer(name: "core", myASN: 64500, peerASN: 64502, peerAddress: IPAddress("10.2.0.1"))
        let policy = Policy(bgpPeers: [zone1, everywhere],
                            bfdProfiles: [BFDProfile(name: "fast", detectMultiplier: 3), BFDProfile(name: "unused")])
        // Peers and profiles come with the set even when no service is to be announced: sessions stay up.
        let plan = Reconciler.plan(policy: policy, services: [], nodes: Self.nodes, allocations: [:])
        #expect(plan.desiredSet(for: "a").bgpPeers.map(\.name) == ["core", "tor-z1"])
        #expect(plan.desiredSet(for: "a").bfdProfiles.keys.sorted() == ["fast"])
        #expect(plan.desiredSet(for: "a").isEmpty)
        #expect(plan.desiredSet(for: "b").bgpPeers.map(\.name) == ["core"])
        #expect(plan.desiredSet(for: "b").bfdProfiles.isEmpty)
    }
}
