import Foundation
import Testing
@testable import LBKernel

/// Loads `Fixtures/metallb/<name>.yaml` as documents, keeping the fixture's name as the file.
func metalLBFixture(_ name: String) throws -> [YAMLNode] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/metallb/\(name)", withExtension: "yaml"))
    let text = try String(contentsOf: url, encoding: .utf8)
    return try YAMLNode.documents(in: text, file: "\(name).yaml")
}

/// The problems MetalLBImporter reports for `documents`, or none.
func metalLBProblems(_ documents: [YAMLNode]) -> [ConfigProblem] {
    do {
        _ = try MetalLBImporter.policy(from: documents)
        return []
    } catch {
        return error.problems
    }
}

@Suite("MetalLB guide fixtures")
struct MetalLBFixtureTests {
    @Test func misindentedLayer2GuideIsRejectedWithIndentationAdvice() throws {
        let documents = try metalLBFixture("guide-layer2-misindented")
        #expect(MetalLBImporter.recognizes(try #require(documents.first)))
        let problems = metalLBProblems(documents)
        for problem in problems { print(problem) }
        let byField = Dictionary(grouping: problems, by: { $0.field ?? "" })

        let namespace = try #require(byField["namespace"]?.first)
        #expect(namespace.code == .unknownKey)
        #expect(namespace.location?.line == 4)
        #expect(namespace.message.contains("'namespace' is outside 'metadata'"))
        #expect(namespace.message.contains("indent 'namespace'"))
        let name = try #require(byField["name"]?.first)
        #expect(name.code == .unknownKey)
        #expect(name.location?.line == 5)
        #expect(name.message.contains("'name' is outside 'metadata'"))

        let proto = try #require(byField["protocol"]?.first)
        #expect(proto.code == .unknownKey)
        #expect(proto.location?.line == 10)
        #expect(proto.message.contains("'protocol' is at the top level of the config instead of inside pool 'default'"))
        #expect(proto.message.contains("indent it under `- name: default`"))
        #expect(proto.message.contains("by 2 more spaces"))
        let addresses = try #require(byField["addresses"]?.first)
        #expect(addresses.location?.line == 11)
        #expect(addresses.message.contains("'addresses' is at the top level of the config instead of inside pool 'default'"))

        // The pool itself then lacks its protocol; the message points at the misplaced key.
        let missing = try #require(byField["address-pools[0].protocol"]?.first)
        #expect(missing.code == .missingKey)
        #expect(missing.message.contains("line 10"))
        let noAddresses = try #require(byField["address-pools[0].addresses"]?.first)
        #expect(noAddresses.message.contains("line 11"))
        #expect(proto.message.contains("(line 9)"))
        #expect(proto.message.contains("to line up with 'name'"))
    }

    @Test func correctedLayer2GuideLoads() throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture("guide-layer2"))
        #expect(policy.pools == [AddressPool(name: "default", addresses: [try AddressBlock(parsing: "192.168.1.240-192.168.1.250")])])
        #expect(policy.layer2Advertisements == [Layer2Advertisement(name: "default", ipAddressPools: ["default"])])
        #expect(policy.bgpAdvertisements.isEmpty)
        #expect(policy.bgpPeers.isEmpty)
    }

    @Test func bgpGuideLoadsPeersAndPool() throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture("guide-bgp"))
        #expect(policy.bgpPeers.map(\.name) == ["peer1", "peer2"])
        #expect(policy.bgpPeers.map(\.peerAddress) == [IPAddress("192.168.33.2"), IPAddress("192.168.33.4")])
        #expect(policy.bgpPeers.allSatisfy { $0.peerASN == 64501 && $0.myASN == 64500 && $0.peerPort == 179 })
        #expect(policy.pools == [AddressPool(name: "default", addresses: [try AddressBlock(parsing: "192.168.32.0/24")],
                                             avoidBuggyIPs: true)])
        #expect(policy.bgpAdvertisements == [BGPAdvertisement(name: "default-1", ipAddressPools: ["default"])])
        #expect(policy.layer2Advertisements.isEmpty)
    }

    @Test func documentationCRDsForLayer2Load() throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture("crds-layer2"))
        #expect(policy.pools.map(\.name) == ["first-pool"])
        #expect(policy.pools.first?.addresses.map(\.description)
                == ["192.168.10.0/24", "192.168.9.1-192.168.9.5", "fc00:f853:ccd:e799::/124"])
        #expect(policy.layer2Advertisements == [Layer2Advertisement(name: "example", ipAddressPools: ["first-pool"])])
    }

    @Test func documentationCRDsForBGPLoad() throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture("crds-bgp"))
        #expect(policy.bgpPeers.map(\.name) == ["sample", "sample-legacy"])
        let sample = try #require(policy.bgpPeers.first)
        #expect(sample.bfdProfile == "testbfdprofile")
        #expect(sample.holdTime == GoDuration(seconds: 90))
        #expect(policy.bgpPeers.last?.nodeSelectors.first?.matchExpressions.first?.operator == .notIn)
        #expect(policy.bfdProfiles == [BFDProfile(name: "testbfdprofile", receiveInterval: 380, transmitInterval: 270)])
        #expect(policy.communities == [CommunityAlias(name: "NO_ADVERTISE", value: .standard(65535, 65282))])
        #expect(policy.pools.first?.labels == ["zone": "east"])
        #expect(policy.bgpAdvertisements.map(\.name) == ["local", "external"])
        #expect(policy.bgpAdvertisements.first?.localPref == 100)
        #expect(policy.bgpAdvertisements.last?.aggregationLength == 24)
    }

    @Test func kubectlListOutputLoads() throws {
        let documents = try metalLBFixture("kubectl-get-output")
        #expect(MetalLBImporter.recognizes(try #require(documents.first)))
        let policy = try MetalLBImporter.policy(from: documents)
        #expect(policy.pools.map(\.name) == ["lan"])
        #expect(policy.layer2Advertisements.first?.interfaces == ["eth0"])
    }

    @Test func annotatedLegacyExampleLoads() throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture("legacy-example-config"))
        let peer = try #require(policy.bgpPeers.first)
        #expect(peer.name == "peer1")
        #expect(peer.peerPort == 1179)
        #expect(peer.holdTime == GoDuration(seconds: 120))
        #expect(peer.routerID == IPv4Address("10.0.0.255"))
        #expect(peer.password == "yourPassword")
        #expect(peer.nodeSelectors.first?.matchExpressions.first?.values == ["slow", "super-slow"])
        #expect(policy.communities.map(\.name) == ["no-advertise"])
        #expect(policy.bfdProfiles.first?.minimumTtl == 254)
        #expect(policy.pools.map(\.name) == ["my-ip-space", "lan"])
        #expect(policy.pools.first?.autoAssign == false)
        #expect(policy.bgpAdvertisements.map(\.name) == ["my-ip-space-1", "my-ip-space-2"])
        #expect(policy.bgpAdvertisements.first?.communities == ["no-advertise"])
        #expect(policy.layer2Advertisements.map(\.name) == ["lan"])
    }

    @Test func configTextAloneAndQuotedConfigMapsLoad() throws {
        let text = try MetalLBImporter.policy(from: try metalLBFixture("legacy-config-text"))
        #expect(text.pools.map(\.name) == ["default", "v6"])
        #expect(text.layer2Advertisements.map(\.name) == ["default", "v6"])
        let flux = try MetalLBImporter.policy(from: try metalLBFixture("flux-configmap"))
        #expect(flux.pools.first?.addresses.map(\.description) == ["172.16.0.10-172.16.0.20"])
    }

    @Test func documentsFromSeveralFilesMerge() throws {
        let documents = try metalLBFixture("guide-bgp") + metalLBFixture("crds-layer2")
        let policy = try MetalLBImporter.policy(from: documents)
        #expect(policy.pools.map(\.name) == ["default", "first-pool"])
    }

    @Test func problemsNameTheFileAndLineOfEmbeddedConfig() throws {
        let problems = metalLBProblems(try metalLBFixture("guide-layer2-misindented"))
        #expect(problems.allSatisfy { $0.location?.file == "guide-layer2-misindented.yaml" })
        #expect(problems.allSatisfy { $0.object?.contains("ConfigMap") == true || $0.object?.contains("pool") == true })
    }
}
