import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

@Suite struct MappingMetalLBTests {
    @Test func crdsBecomeAPolicyWithTheSecretPassword() throws {
        let policy = try MappingFixtures.metallb().policy()
        #expect(policy.pools.map(\.name) == ["pool-a"])
        #expect(policy.pools[0].serviceAllocation?.priority == 10)
        #expect(policy.layer2Advertisements.map(\.name) == ["l2"])
        #expect(policy.bgpAdvertisements.map(\.name) == ["bgp"])
        #expect(policy.communities.count == 1)
        #expect(policy.bfdProfiles.map(\.name) == ["fast"])
        let peer = try #require(policy.bgpPeers.first)
        #expect(peer.name == "tor-a")
        #expect(peer.password == "s3cr3t-pässword")
        #expect(peer.passwordSecret == nil)
    }

    @Test func objectsOutsideLbdsNamespaceAreNotRead() throws {
        let policy = try MappingFixtures.metallb(extra: ["crd-pool-other-ns"]).policy()
        #expect(policy.pools.map(\.name) == ["pool-a"])
    }

    @Test func aBadCRDNamesTheObject() throws {
        let objects = try MappingFixtures.metallb(extra: ["crd-pool-bad"])
        do {
            _ = try objects.policy()
            Issue.record("accepted")
        } catch {
            let problems = error.problems.map(KubeObjectProblem.init)
            #expect(!problems.isEmpty)
            let named = problems.allSatisfy { (problem: KubeObjectProblem) -> Bool in
                problem.kind == "IPAddressPool" && problem.namespace == "lbd-system" && problem.name == "pool-bad"
            }
            #expect(named, "\(problems)")
            #expect(problems.contains { $0.field?.hasPrefix("spec.addresses") == true }, "\(problems)")
            #expect(error.problems.allSatisfy { $0.location?.file == "metallb.io/IPAddressPool lbd-system/pool-bad" })
        }
    }

    @Test(arguments: [
        ("missing", "does not exist"),
        ("opaque", "must have type kubernetes.io/basic-auth"),
    ])
    func secretProblemsNameThePeer(case name: String, message: String) throws {
        var objects = try MappingFixtures.metallb(secrets: name != "missing")
        if name == "opaque" {
            let opaque = try MappingFixtures.list(KubeSecret.self, "secrets")[1]
            objects.secrets = [KubeSecret(metadata: ObjectMeta(name: "tor-a-password", namespace: "lbd-system"),
                                          type: opaque.type, data: opaque.data)]
        }
        do {
            _ = try objects.policy()
            Issue.record("accepted")
        } catch {
            let problem = try #require(error.problems.first)
            #expect(error.problems.count == 1)
            #expect(problem.object == "BGPPeer \"tor-a\"")
            #expect(problem.field == "spec.passwordSecret")
            #expect(problem.message.contains(message), "\(problem.message)")
            #expect(KubeObjectProblem(problem).name == "tor-a")
            #expect(KubeObjectProblem(problem).kind == "BGPPeer")
        }
    }

    @Test func legacyConfigMapIsRead() throws {
        let objects = MetalLBObjects(namespace: "lbd-system", legacyConfigMap: try MappingFixtures.data("legacy-configmap"))
        let policy = try objects.policy()
        #expect(policy.pools.map(\.name) == ["legacy"])
        #expect(policy.layer2Advertisements.map(\.name) == ["legacy"])
    }

    @Test(arguments: [
        ("metallb.io/v1beta1", "IPAddressPool", "ns", "a", "metallb.io/IPAddressPool ns/a"),
        ("v1", "ConfigMap", "ns", "config", "ConfigMap ns/config"),
        (nil, nil, nil, nil, "object"),
    ] as [(String?, String?, String?, String?, String)])
    func fileNames(apiVersion: String?, kind: String?, namespace: String?, name: String?, expected: String) {
        #expect(MetalLBObjects.fileName(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name) == expected)
    }
}
