import LBKernel
import Testing

/// One row of the validation table: a policy and the problems it must produce (none for a valid policy).
struct PolicyCase: Sendable, CustomTestStringConvertible {
    var name: String
    var policy: Policy
    /// The expected problems in order: the code and a fragment of the message.
    var expected: [(ConfigProblem.Code, String)]

    var testDescription: String { name }

    init(_ name: String, _ policy: Policy, _ expected: (ConfigProblem.Code, String)...) {
        self.name = name
        self.policy = policy
        self.expected = expected
    }
}

// MARK: - Fixtures

private func block(_ text: String) -> AddressBlock { try! AddressBlock(parsing: text) }
private func ip(_ text: String) -> IPAddress { IPAddress(text)! }
private func pool(_ name: String, _ addresses: String..., labels: Labels = [:],
                  allocation: AddressPool.ServiceAllocation? = nil) -> AddressPool {
    AddressPool(name: name, addresses: addresses.map(block), serviceAllocation: allocation, labels: labels)
}
private func peer(_ name: String = "tor", address: String? = "192.168.0.1", peerASN: UInt32? = 64513,
                  nodes: [LabelSelector] = []) -> BGPPeer {
    BGPPeer(name: name, myASN: 64512, peerASN: peerASN, peerAddress: address.map(ip), nodeSelectors: nodes)
}
private func zone(_ z: String) -> LabelSelector { LabelSelector(matchLabels: ["zone": z]) }
private let v4 = pool("v4", "10.0.0.0/24")
private let v6 = pool("v6", "2001:db8::/64")
private let tor = peer()

// MARK: - The table

extension PolicyCase {
    static let valid: [PolicyCase] = [
        PolicyCase("empty policy", Policy()),
        PolicyCase("complete dual-stack policy", Policy(
            pools: [v4, v6, pool("edge", "10.1.0.2-10.1.0.254", labels: ["tier": "edge"],
                                 allocation: .init(priority: 1, namespaces: ["web", "api"]))],
            layer2Advertisements: [Layer2Advertisement(name: "l2", ipAddressPools: ["v4"], nodeSelectors: [zone("a")])],
            bgpAdvertisements: [BGPAdvertisement(name: "bgp", aggregationLength: 26, localPref: 100,
                                                 communities: ["no-export", "64512:7", "large:64512:1:2"],
                                                 ipAddressPoolSelectors: [LabelSelector(matchLabels: ["tier": "edge"])],
                                                 peers: ["tor"])],
            bgpPeers: [BGPPeer(name: "tor", myASN: 64512, peerASN: 64513, peerAddress: ip("192.168.0.1"),
                               holdTime: GoDuration(seconds: 9), keepaliveTime: GoDuration(seconds: 3),
                               bfdProfile: "fast", enableGracefulRestart: true, ebgpMultiHop: true)],
            communities: [CommunityAlias(name: "no-export", value: .standard(65535, 65281))],
            bfdProfiles: [BFDProfile(name: "fast", receiveInterval: 10, transmitInterval: 60000, detectMultiplier: 2,
                                     minimumTtl: 254, echoMode: true)])),
        PolicyCase("IPv4 and IPv6 entries with the same numbers do not overlap",
                   Policy(pools: [pool("a", "0.0.0.0/0"), pool("b", "::/0")])),
        PolicyCase("adjacent entries do not overlap", Policy(pools: [pool("a", "10.0.0.0/25", "10.0.0.128-10.0.0.255")])),
        PolicyCase("aggregation 26 fits a .2-.254 range (its widest CIDR is a /26)", Policy(
            pools: [pool("r", "10.1.0.2-10.1.0.254")],
            bgpAdvertisements: [BGPAdvertisement(name: "agg", aggregationLength: 26)])),
        PolicyCase("localPref differs but the peers are disjoint", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 100, peers: ["tor"]),
                                             BGPAdvertisement(name: "b", localPref: 200, peers: ["spine"])],
            bgpPeers: [tor, peer("spine", address: "192.168.0.2")])),
        PolicyCase("localPref differs but the node selectors are disjoint", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 100, nodeSelectors: [zone("a")]),
                                             BGPAdvertisement(name: "b", localPref: 200, nodeSelectors: [zone("b")])])),
        PolicyCase("localPref differs but the aggregation lengths differ", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 100),
                                             BGPAdvertisement(name: "b", aggregationLength: 24, localPref: 200)])),
        PolicyCase("localPref differs but one advertisement has serviceSelectors", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 100),
                                             BGPAdvertisement(name: "b", localPref: 200,
                                                              serviceSelectors: [LabelSelector(matchLabels: ["x": "y"])])])),
        PolicyCase("localPref differs on different pools", Policy(
            pools: [v4, v6], bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 100, ipAddressPools: ["v4"]),
                                                 BGPAdvertisement(name: "b", localPref: 200, ipAddressPools: ["v6"])])),
        PolicyCase("one peer address on disjoint nodes (Exists vs DoesNotExist)", Policy(bgpPeers: [
            peer("a", nodes: [LabelSelector(matchExpressions: [.init(key: "rack", operator: .exists)])]),
            peer("b", nodes: [LabelSelector(matchExpressions: [.init(key: "rack", operator: .doesNotExist)])]),
        ])),
        PolicyCase("hold time 0, 0.4s (truncates and rounds to 0) and 3s", Policy(bgpPeers: [
            BGPPeer(name: "a", myASN: 1, peerASN: 2, peerAddress: ip("10.9.0.1"), holdTime: GoDuration(seconds: 0)),
            BGPPeer(name: "b", myASN: 1, peerASN: 2, peerAddress: ip("10.9.0.2"), holdTime: GoDuration("400ms")),
            BGPPeer(name: "c", myASN: 1, peerASN: 2, peerAddress: ip("10.9.0.3"), holdTime: GoDuration(seconds: 3)),
            BGPPeer(name: "d", myASN: 1, peerASN: 2, peerAddress: ip("10.9.0.4"), keepaliveTime: GoDuration("500ms")),
        ])),
        PolicyCase("dynamic ASN and an unnumbered session", Policy(bgpPeers: [
            BGPPeer(name: "u", myASN: 64512, peerASN: nil, peerAddress: nil, dynamicASN: .external, interface: "eth1"),
        ])),
    ]

    static let pools: [PolicyCase] = [
        PolicyCase("pool without a name", Policy(pools: [pool("", "10.0.0.0/24")]), (.missingKey, "needs a name")),
        PolicyCase("two pools with one name", Policy(pools: [pool("a", "10.0.0.0/24"), pool("a", "10.0.1.0/24")]),
                   (.duplicate, "reuses the name \"a\"")),
        PolicyCase("pool without addresses", Policy(pools: [AddressPool(name: "e", addresses: [])]),
                   (.missingKey, "at least one address entry")),
        PolicyCase("entries overlapping in one pool", Policy(pools: [pool("a", "10.0.0.0/24", "10.0.0.128/25")]),
                   (.overlap, "10.0.0.128/25 overlaps 10.0.0.0/24 (this pool, addresses[0])")),
        PolicyCase("entries overlapping across pools", Policy(pools: [pool("a", "10.0.0.0/16"), pool("b", "10.0.5.0/24")]),
                   (.overlap, "10.0.5.0/24 overlaps 10.0.0.0/16 (pool \"a\", addresses[0])")),
        PolicyCase("equal entries in two pools", Policy(pools: [pool("a", "2001:db8::/64"), pool("b", "2001:db8::/64")]),
                   (.overlap, "2001:db8::/64 overlaps 2001:db8::/64")),
        PolicyCase("a range overlapping a prefix by one address", Policy(
            pools: [pool("a", "10.0.0.0/25"), pool("b", "10.0.0.127-10.0.0.200")]),
                   (.overlap, "10.0.0.127-10.0.0.200 overlaps 10.0.0.0/25")),
        PolicyCase("three entries overlapping: every pair", Policy(pools: [pool("a", "10.0.0.0/24"),
                                                                           pool("b", "10.0.0.0/25", "10.0.0.0/26")]),
                   (.overlap, "10.0.0.0/25 overlaps 10.0.0.0/24"), (.overlap, "10.0.0.0/26 overlaps 10.0.0.0/24"),
                   (.overlap, "10.0.0.0/26 overlaps 10.0.0.0/25")),
        PolicyCase("duplicate namespaces", Policy(pools: [pool("a", "10.0.0.0/24",
                                                               allocation: .init(namespaces: ["web", "web"]))]),
                   (.duplicate, "'web' is already listed")),
        PolicyCase("duplicate namespace selectors", Policy(pools: [pool("a", "10.0.0.0/24", allocation: .init(
            namespaceSelectors: [zone("a"), zone("a")]))]), (.duplicate, "same selector as")),
        PolicyCase("duplicate match-expression values", Policy(pools: [pool("a", "10.0.0.0/24", allocation: .init(
            serviceSelectors: [LabelSelector(matchExpressions: [.init(key: "app", operator: .in, values: ["x", "x"])])]))]),
                   (.duplicate, "listed twice for key 'app'")),
        PolicyCase("selectors equal up to value order", Policy(pools: [pool("a", "10.0.0.0/24", allocation: .init(
            serviceSelectors: [LabelSelector(matchExpressions: [.init(key: "app", operator: .in, values: ["x", "y"])]),
                               LabelSelector(matchExpressions: [.init(key: "app", operator: .in, values: ["y", "x"])])]))]),
                   (.duplicate, "same selector as serviceAllocation.serviceSelectors[0]")),
        PolicyCase("selector with In and no values", Policy(pools: [pool("a", "10.0.0.0/24", allocation: .init(
            serviceSelectors: [LabelSelector(matchExpressions: [.init(key: "app", operator: .in)])]))]),
                   (.invalidValue, "needs at least one value")),
        PolicyCase("one match expression twice", Policy(pools: [pool("a", "10.0.0.0/24", allocation: .init(
            namespaceSelectors: [LabelSelector(matchExpressions: [.init(key: "k", operator: .exists),
                                                                  .init(key: "k", operator: .exists)])]))]),
                   (.duplicate, "same match expression")),
    ]

    static let advertisements: [PolicyCase] = [
        PolicyCase("two Layer 2 advertisements with one name", Policy(
            pools: [v4], layer2Advertisements: [Layer2Advertisement(name: "l2"), Layer2Advertisement(name: "l2")]),
                   (.duplicate, "reuses the name \"l2\"")),
        PolicyCase("Layer 2 advertisement of an unknown pool", Policy(
            pools: [v4], layer2Advertisements: [Layer2Advertisement(name: "l2", ipAddressPools: ["v44"])]),
                   (.unknownReference, "no pool is named 'v44'")),
        PolicyCase("Layer 2 advertisement naming a pool twice", Policy(
            pools: [v4], layer2Advertisements: [Layer2Advertisement(name: "l2", ipAddressPools: ["v4", "v4"])]),
                   (.duplicate, "'v4' is already listed as ipAddressPools[0]")),
        PolicyCase("Layer 2 advertisement with duplicate node selectors", Policy(
            pools: [v4], layer2Advertisements: [Layer2Advertisement(name: "l2", nodeSelectors: [zone("a"), zone("a")])]),
                   (.duplicate, "same selector as nodeSelectors[0]")),
        PolicyCase("two BGP advertisements with one name", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "x", peers: []),
                                             BGPAdvertisement(name: "x", communities: ["1:1"])]),
                   (.duplicate, "reuses the name \"x\"")),
        PolicyCase("aggregationLength 33", Policy(bgpAdvertisements: [BGPAdvertisement(name: "a", aggregationLength: 33)]),
                   (.invalidValue, "use 1 to 32")),
        PolicyCase("aggregationLength 0", Policy(bgpAdvertisements: [BGPAdvertisement(name: "a", aggregationLength: 0)]),
                   (.invalidValue, "0 is not an IPv4 prefix length")),
        PolicyCase("aggregationLengthV6 129", Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "a", aggregationLengthV6: 129)]), (.invalidValue, "use 1 to 128")),
        PolicyCase("aggregation 24 on a /26 entry", Policy(
            pools: [pool("p", "10.0.0.0/26")], bgpAdvertisements: [BGPAdvertisement(name: "a", aggregationLength: 24)]),
                   (.invalidValue, "24 is shorter than the /26 in pool \"p\" addresses[0]")),
        PolicyCase("aggregation 25 on a .2-.254 range (widest CIDR /26)", Policy(
            pools: [pool("r", "10.1.0.2-10.1.0.254")], bgpAdvertisements: [BGPAdvertisement(name: "a", aggregationLength: 25)]),
                   (.invalidValue, "the /26 in pool \"r\"")),
        PolicyCase("IPv6 aggregation 48 on a /64 entry", Policy(
            pools: [v6], bgpAdvertisements: [BGPAdvertisement(name: "a", aggregationLengthV6: 48)]),
                   (.invalidValue, "48 is shorter than the /64")),
        PolicyCase("serviceSelectors with non-default aggregation", Policy(bgpAdvertisements: [
            BGPAdvertisement(name: "a", aggregationLength: 24, serviceSelectors: [zone("a")])]),
                   (.conflict, "serviceSelectors and a non-default aggregationLength are mutually exclusive")),
        PolicyCase("localPref conflict on a shared pool", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 100),
                                             BGPAdvertisement(name: "b", localPref: 200, nodeSelectors: [zone("a")])]),
                   (.conflict, "localPref 200 differs from the localPref 100 of bgpAdvertisement \"a\" for pool \"v4\"")),
        PolicyCase("localPref conflict: unset is 0", Policy(
            pools: [v4], bgpAdvertisements: [BGPAdvertisement(name: "a"),
                                             BGPAdvertisement(name: "b", localPref: 50, peers: ["tor"])],
            bgpPeers: [tor]), (.conflict, "localPref 50 differs from the localPref 0")),
        PolicyCase("localPref conflict on a dual-stack pool when only IPv4 aggregation differs", Policy(
            pools: [pool("ds", "10.0.0.0/24", "2001:db8::/64")],
            bgpAdvertisements: [BGPAdvertisement(name: "a", localPref: 1),
                                BGPAdvertisement(name: "b", aggregationLength: 24, localPref: 2)]),
                   (.conflict, "pool \"ds\"")),
        PolicyCase("community out of range", Policy(bgpAdvertisements: [BGPAdvertisement(name: "a", communities: ["65536:1"])]),
                   (.invalidValue, "'65536' is not a number from 0 to 65535")),
        PolicyCase("large community with two parts", Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "a", communities: ["large:1:2"])]),
                   (.invalidValue, "large:<global admin>")),
        PolicyCase("unknown community alias", Policy(bgpAdvertisements: [BGPAdvertisement(name: "a", communities: ["no-exprot"])]),
                   (.unknownReference, "'no-exprot' is not a community alias")),
        PolicyCase("community written twice", Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "a", communities: ["1:1", "1:1"])]),
                   (.duplicate, "'1:1' is already listed as communities[0]")),
        PolicyCase("community twice through an alias", Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "a", communities: ["no-export", "65535:65281"])],
            communities: [CommunityAlias(name: "no-export", value: .standard(65535, 65281))]),
                   (.duplicate, "the same community as communities[0]")),
        PolicyCase("identical BGP advertisements", Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "a", communities: ["1:1"]),
                                BGPAdvertisement(name: "b", communities: ["1:1"])]),
                   (.duplicate, "identical to bgpAdvertisement \"a\" apart from the name")),
        PolicyCase("advertisement to an unknown peer", Policy(bgpAdvertisements: [BGPAdvertisement(name: "a", peers: ["tr"])],
                                                            bgpPeers: [tor]), (.unknownReference, "no BGP peer is named 'tr'")),
        PolicyCase("advertisement naming a peer twice", Policy(
            bgpAdvertisements: [BGPAdvertisement(name: "a", peers: ["tor", "tor"])], bgpPeers: [tor]),
                   (.duplicate, "'tor' is already listed as peers[0]")),
    ]

    static let peers: [PolicyCase] = [
        PolicyCase("two peers with one name", Policy(bgpPeers: [peer("p"), peer("p", address: "192.168.0.9")]),
                   (.duplicate, "reuses the name \"p\"")),
        PolicyCase("myASN 0", Policy(bgpPeers: [BGPPeer(name: "p", myASN: 0, peerASN: 1, peerAddress: ip("10.9.9.9"))]),
                   (.missingKey, "missing local ASN")),
        PolicyCase("peerASN and dynamicASN", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), dynamicASN: .external)]),
                   (.conflict, "peerASN and dynamicASN are mutually exclusive")),
        PolicyCase("neither peerASN nor dynamicASN", Policy(bgpPeers: [peer(peerASN: nil)]),
                   (.missingKey, "missing peer ASN")),
        PolicyCase("peerAddress and interface", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), interface: "eth0")]),
                   (.conflict, "peerAddress and interface are mutually exclusive")),
        PolicyCase("neither peerAddress nor interface", Policy(bgpPeers: [peer(address: nil)]),
                   (.missingKey, "neither peerAddress nor interface")),
        PolicyCase("hold time 2s", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), holdTime: GoDuration(seconds: 2))]),
                   (.invalidValue, "0 (no keepalives) or at least 3s")),
        PolicyCase("hold time 2.6s (truncates to 2)", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), holdTime: GoDuration("2.6s"))]),
                   (.invalidValue, "invalid hold time 2600ms")),
        PolicyCase("keepalive longer than hold", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), holdTime: GoDuration(seconds: 9),
                    keepaliveTime: GoDuration(seconds: 10))]),
                   (.conflict, "keepaliveTime 10s is longer than holdTime 9s")),
        PolicyCase("ebgpMultiHop on iBGP", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 7, peerASN: 7, peerAddress: ip("10.9.9.9"), ebgpMultiHop: true)]),
                   (.conflict, "ebgpMultiHop applies to eBGP only")),
        PolicyCase("unknown BFD profile", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), bfdProfile: "fastt")],
                                                bfdProfiles: [BFDProfile(name: "fast")]),
                   (.unknownReference, "no BFD profile is named 'fastt'")),
        PolicyCase("password and passwordSecret", Policy(bgpPeers: [
            BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), password: "x",
                    passwordSecret: SecretReference(name: "s"))]),
                   (.conflict, "password and passwordSecret are mutually exclusive")),
        PolicyCase("peers identical apart from the name", Policy(bgpPeers: [peer("a"), peer("b")]),
                   (.duplicate, "identical to bgpPeer \"a\" apart from the name")),
        PolicyCase("one peer address on overlapping nodes", Policy(bgpPeers: [
            peer("a", nodes: [zone("a")]), peer("b", nodes: [LabelSelector(matchLabels: ["rack": "1"])])]),
                   (.conflict, "same address 192.168.0.1 port 179")),
        PolicyCase("BFD profile values out of range", Policy(bfdProfiles: [
            BFDProfile(name: "b", receiveInterval: 9, transmitInterval: 60001, echoInterval: 10, detectMultiplier: 1,
                       minimumTtl: 255)]),
                   (.invalidValue, "receiveInterval 9 is out of range; use 10 to 60000 milliseconds"),
                   (.invalidValue, "60001 is out of range"), (.invalidValue, "1 is out of range; use 2 to 255"),
                   (.invalidValue, "255 is out of range; use 1 to 254")),
        PolicyCase("two BFD profiles with one name", Policy(bfdProfiles: [BFDProfile(name: "b"), BFDProfile(name: "b")]),
                   (.duplicate, "reuses the name \"b\"")),
        PolicyCase("BFD echo towards a peer that receives IPv6", Policy(
            pools: [v6], bgpAdvertisements: [BGPAdvertisement(name: "six")],
            bgpPeers: [BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"), bfdProfile: "echo")],
            bfdProfiles: [BFDProfile(name: "echo", echoMode: true)]),
                   (.conflict, "has echoMode on, but this peer receives IPv6")),
        PolicyCase("two aliases with one name", Policy(communities: [
            CommunityAlias(name: "c", value: .standard(1, 1)), CommunityAlias(name: "c", value: .standard(1, 2))]),
                   (.duplicate, "reuses the name \"c\"")),
        PolicyCase("alias name with a colon", Policy(communities: [CommunityAlias(name: "1:2", value: .standard(1, 1))]),
                   (.invalidValue, "may not contain ':'")),
    ]

    static let all = valid + pools + advertisements + peers
}

// MARK: - Tests

@Suite("Policy validation")
struct PolicyValidationTests {
    @Test(arguments: PolicyCase.all)
    func table(_ row: PolicyCase) {
        let problems = row.policy.validate()
        #expect(problems.count == row.expected.count, "\(problems.map(\.description))")
        for (problem, (code, fragment)) in zip(problems, row.expected) {
            #expect(problem.code == code, "\(problem)")
            #expect(problem.message.contains(fragment), "\(problem)")
            #expect(problem.object != nil, "\(problem)")
        }
    }

    @Test func tableIsLargeEnough() {
        #expect(PolicyCase.all.count >= 40)
    }

    @Test func overlapNamesBothPoolsAndEntries() throws {
        let problems = Policy(pools: [pool("a", "10.0.0.0/24"), pool("b", "192.168.0.0/24", "10.0.0.64/26")]).validate()
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.object == "pool \"b\"")
        #expect(problem.field == "addresses[1]")
        #expect(problem.description.contains("pool \"a\", addresses[0]"))
    }

    @Test func everyProblemIsCollected() {
        let policy = Policy(
            pools: [pool("a", "10.0.0.0/24"), pool("a", "10.0.0.0/24")],
            bgpAdvertisements: [BGPAdvertisement(name: "x", aggregationLength: 40, communities: ["bogus"])],
            bgpPeers: [BGPPeer(name: "p", myASN: 0, peerASN: nil, peerAddress: nil)])
        let codes = policy.validate().map(\.code)
        #expect(codes == [.duplicate, .overlap, .invalidValue, .unknownReference, .missingKey, .missingKey, .missingKey])
    }

    @Test func fieldsAndObjectsAreSet() {
        let policy = Policy(bgpAdvertisements: [BGPAdvertisement(name: "ad1", communities: ["1:1", "x"])],
                            bgpPeers: [BGPPeer(name: "tor", myASN: 1, peerASN: 2, peerAddress: ip("10.9.9.9"),
                                               holdTime: GoDuration(seconds: 1))])
        let problems = policy.validate()
        #expect(problems.map(\.object) == ["bgpAdvertisement \"ad1\"", "bgpPeer \"tor\""])
        #expect(problems.map(\.field) == ["communities[1]", "holdTime"])
    }

    @Test func namelessObjectsAreNumbered() {
        let problems = Policy(bgpPeers: [peer("ok"), BGPPeer(name: "", myASN: 1, peerASN: 2, peerAddress: ip("10.1.1.1"))])
            .validate()
        #expect(problems.first?.object == "bgpPeer #2")
    }

    @Test func validatedThrowsEveryProblem() {
        let policy = Policy(pools: [AddressPool(name: "e", addresses: []), pool("", "10.0.0.0/8")])
        #expect(throws: ConfigError.self) { try policy.validated() }
        do throws(ConfigError) {
            _ = try policy.validated()
        } catch {
            #expect(error.problems.count == 2)
        }
        let good = Policy(pools: [v4])
        #expect((try? good.validated()) == good)
    }

    @Test func resolvedCommunities() throws {
        let ad = BGPAdvertisement(name: "a", communities: ["no-export", "large:1:2:3", "64512:100"])
        let policy = Policy(bgpAdvertisements: [ad],
                            communities: [CommunityAlias(name: "no-export", value: .standard(65535, 65281))])
        #expect(try policy.resolvedCommunities(for: ad) == [.standard(65535, 65281), .large(1, 2, 3), .standard(64512, 100)])
        let bad = BGPAdvertisement(name: "b", communities: ["nope"])
        #expect(throws: ConfigError.self) { try policy.resolvedCommunities(for: bad) }
    }

    @Test func wellKnownCommunityNamesNeedNoAlias() throws {
        let ad = BGPAdvertisement(name: "a", communities: ["no-export", "blackhole", "graceful-shutdown"])
        let policy = Policy(bgpAdvertisements: [ad])
        #expect(try policy.resolvedCommunities(for: ad)
            == [.standard(65535, 65281), .standard(65535, 666), .standard(65535, 0)])
        // An alias of the same name wins over the built-in meaning.
        let aliased = Policy(bgpAdvertisements: [ad], communities: [CommunityAlias(name: "blackhole", value: .standard(1, 1))])
        #expect(try aliased.resolvedCommunities(for: ad) == [.standard(65535, 65281), .standard(1, 1), .standard(65535, 0)])
    }

    @Test(arguments: [
        ([zone("a")], [zone("b")], false),
        ([zone("a")], [zone("a"), zone("b")], true),
        ([], [zone("b")], true),
        ([LabelSelector(matchExpressions: [.init(key: "zone", operator: .notIn, values: ["a"])])], [zone("a")], false),
        ([LabelSelector(matchExpressions: [.init(key: "zone", operator: .in, values: ["a", "b"])])], [zone("b")], true),
        ([LabelSelector(matchExpressions: [.init(key: "zone", operator: .doesNotExist)])], [zone("b")], false),
        ([LabelSelector(matchExpressions: [.init(key: "zone", operator: .notIn, values: ["a"])])],
         [LabelSelector(matchExpressions: [.init(key: "zone", operator: .doesNotExist)])], true),
        ([LabelSelector(matchLabels: ["rack": "1"])], [zone("b")], true),
    ] as [([LabelSelector], [LabelSelector], Bool)])
    func nodeSelectorOverlap(_ row: ([LabelSelector], [LabelSelector], Bool)) {
        let (a, b, overlap) = row
        // Seen through the peer clash rule: one address on nodes that may be shared is a conflict.
        let problems = Policy(bgpPeers: [peer("a", nodes: a), peer("b", nodes: b)]).validate()
        #expect(problems.contains { $0.code == .conflict } == overlap, "\(problems)")
    }
}
