import Testing
@testable import LBKernel

@Suite("Policy YAML round trip")
struct MetalLBRoundTripTests {
    /// `policy.yamlText()` decoded back with the strict decoder.
    func reread(_ policy: Policy) throws -> Policy {
        let text = policy.yamlText()
        let documents = try YAMLNode.documents(in: text, file: "converted.yaml")
        guard let document = documents.first else { return Policy() }
        #expect(documents.count == 1)
        return try StrictYAMLDecoder().decode(Policy.self, from: document)
    }

    static let fixtures = ["guide-bgp", "guide-layer2", "crds-layer2", "crds-bgp", "kubectl-get-output",
                           "legacy-example-config", "legacy-config-text", "flux-configmap"]

    @Test(arguments: fixtures)
    func fixtureRoundTrips(_ name: String) throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture(name))
        #expect(try reread(policy) == policy, "\(policy.yamlText())")
    }

    static let accepted = metalLBCases.filter { if case .accepted = $0.outcome { true } else { false } }

    @Test(arguments: accepted)
    func acceptedCaseRoundTrips(_ example: MetalLBCase) throws {
        let policy = try MetalLBImporter.policy(from: try example.documents())
        #expect(try reread(policy) == policy, "\(policy.yamlText())")
    }

    @Test func outputIsStableAndReadable() throws {
        let policy = try MetalLBImporter.policy(from: try metalLBFixture("guide-bgp"))
        let text = policy.yamlText()
        #expect(text == policy.yamlText())
        #expect(text.hasPrefix("pools:\n- name: default\n"))
        #expect(text.contains("avoidBuggyIPs: true"))
        #expect(text.contains("bgpPeers:\n- name: peer1\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.168.33.2"))
    }

    @Test func labelMapsAreSorted() throws {
        var pool = AddressPool(name: "p", addresses: [try AddressBlock(parsing: "10.0.0.0/24")],
                               labels: ["zeta": "1", "alpha": "true", "mid": "x"])
        pool.serviceAllocation = .init(namespaceSelectors: [LabelSelector(matchLabels: ["b": "2", "a": "1"])])
        let policy = Policy(pools: [pool], namespaceLabels: ["web": ["z": "1", "a": "2"], "api": [:]])
        let text = policy.yamlText()
        #expect(text.contains("labels:\n    alpha: 'true'\n    mid: x\n    zeta: '1'"), "\(text)")
        #expect(try reread(policy) == policy, "\(text)")
    }

    @Test func emptyPolicyRoundTrips() throws {
        #expect(try reread(Policy()) == Policy())
    }
}
