import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

@Suite struct MappingSnapshotTests {
    static let serviceFixtures = [
        "svc-local", "svc-basic", "svc-dualstack", "svc-prefer-dual", "svc-clusterip", "svc-class", "svc-deprecated",
        "svc-lbip-conflict", "svc-no-clusterip", "svc-bad-port",
    ]

    func inputs(extraCRDs: [String] = []) throws -> SnapshotInputs {
        SnapshotInputs(
            services: try Self.serviceFixtures.map(MappingFixtures.service),
            endpointSlices: try MappingFixtures.list(KubeEndpointSlice.self, "endpointslices"),
            nodes: try MappingFixtures.list(KubeNode.self, "nodes").reversed(),
            namespaces: try MappingFixtures.list(KubeNamespace.self, "namespaces"),
            metallb: try MappingFixtures.metallb(extra: extraCRDs))
    }

    @Test func theCacheMapsAgainOnlyServicesWhoseVersionOrEndpointsChanged() throws {
        var inputs = try inputs()
        var cache = MappingCache()
        let first = SnapshotBuilder().build(inputs, previousPolicy: nil, cache: &cache)
        #expect(first.services == SnapshotBuilder().build(inputs).services, "a cached build is the same build")
        #expect(cache.count == first.services.count + 3, "every mapped Service is cached, ignored ones too (not one that failed)")

        // web's spec changes without a new resourceVersion (never happens in an API server): the cache answers.
        let web = try #require(inputs.services.firstIndex { $0.metadata.name == "web" })
        inputs.services[web].metadata.annotations["metallb.io/address-pool"] = "elsewhere"
        let cached = SnapshotBuilder().build(inputs, previousPolicy: nil, cache: &cache)
        #expect(cached.services == first.services)
        // With a new resourceVersion it is mapped again.
        inputs.services[web].metadata.resourceVersion = "999999"
        let remapped = SnapshotBuilder().build(inputs, previousPolicy: nil, cache: &cache)
        guard case .handled(let mapped) = remapped.services[ServiceID("default/web")] else {
            Issue.record("web is not handled: \(String(describing: remapped.services[ServiceID("default/web")]))")
            return
        }
        #expect(mapped.service.requestedPool == "elsewhere")
        // Its endpoints changing maps it again too; a Service gone leaves the cache.
        inputs.endpointSlices.removeAll()
        inputs.services.removeAll { $0.metadata.name == "local" }
        let moved = SnapshotBuilder().build(inputs, previousPolicy: nil, cache: &cache)
        #expect(moved.snapshot?.services.first { $0.id.name == "web" }?.endpoints == .onNodes([]))
        #expect(cache.count == first.services.count + 2)
    }

    @Test func buildsOneSortedSnapshotWithRecordedAddresses() throws {
        let build = SnapshotBuilder().build(try inputs())
        let snapshot = try #require(build.snapshot)
        #expect(snapshot.services.map(\.id.description)
                == ["default/dual", "default/local", "default/old", "default/prefer2", "default/web"])
        #expect(snapshot.services.first { $0.id.name == "web" }?.endpoints == .onNodes(["node-a", "node-c", "node-d"]))
        #expect(snapshot.services.first { $0.id.name == "local" }?.endpoints == .onNodes([]))
        #expect(snapshot.recorded == [
            ServiceID("default/web"): [IPAddress("192.168.10.1")!],
            ServiceID("default/dual"): [IPAddress("192.168.10.2")!, IPAddress("fc00::2")!],
        ])
        #expect(snapshot.nodes.map(\.name) == ["node-a", "node-b", "node-c"])
        #expect(snapshot.policy.pools.map(\.name) == ["pool-a"])
        #expect(snapshot.policy.namespaceLabels["team-blue"] == ["kubernetes.io/metadata.name": "team-blue", "team": "blue"])
        #expect(build.policyError == nil)
        // Rejected services are lbd's (their status is cleared) but not the kernel's.
        #expect(Set(build.services.keys.map(\.name)) == ["dual", "local", "old", "prefer2", "web", "conflict"])
        #expect(build.problems == [KubeObjectProblem(kind: "Service", namespace: "default", name: "badport",
                                                     field: "spec.ports[0].port",
                                                     message: "70000 is not a port number (1-65535)")])
    }

    @Test func theKernelAllocatesFromTheSnapshotKeepingRecordedAddresses() throws {
        let snapshot = try #require(SnapshotBuilder().build(try inputs()).snapshot)
        #expect(snapshot.policy.validate().isEmpty)
        var allocator = PoolAllocator()
        let outcome = allocator.reconcile(policy: snapshot.policy, services: snapshot.services, recorded: snapshot.recorded)
        #expect(outcome.allocations[ServiceID("default/web")]?.addresses == [IPAddress("192.168.10.1")!])
        #expect(outcome.allocations[ServiceID("default/dual")]?.addresses == [IPAddress("192.168.10.2")!, IPAddress("fc00::2")!])
        #expect(outcome.allocations[ServiceID("default/old")]?.addresses == [IPAddress("192.168.10.7")!])
    }

    @Test func namespaceSelectorsNeedTheNamespaceLabels() throws {
        var withoutNamespaces = try inputs()
        withoutNamespaces.namespaces = []
        let snapshot = try #require(SnapshotBuilder().build(withoutNamespaces).snapshot)
        var allocator = PoolAllocator()
        let outcome = allocator.reconcile(policy: snapshot.policy, services: snapshot.services, recorded: [:])
        // pool-a selects namespaces labelled kubernetes.io/metadata.name=default: unknown labels match nothing.
        #expect(outcome.allocations.isEmpty)
        #expect(outcome.failures[ServiceID("default/web")] != nil)
    }

    @Test func anInvalidConfigurationKeepsThePreviousPolicy() throws {
        let previous = Policy(pools: [AddressPool(name: "kept", addresses: [])])
        let builder = SnapshotBuilder()
        let withPrevious = builder.build(try inputs(extraCRDs: ["crd-pool-bad"]), previousPolicy: previous)
        #expect(withPrevious.policyError != nil)
        #expect(withPrevious.snapshot?.policy.pools.map(\.name) == ["kept"])
        #expect(withPrevious.snapshot?.policy.namespaceLabels["team-blue"]?["team"] == "blue")
        #expect(withPrevious.problems.contains { $0.kind == "IPAddressPool" && $0.name == "pool-bad" })
        // Without a previous policy nothing is published: an empty policy would clear every address.
        let first = builder.build(try inputs(extraCRDs: ["crd-pool-bad"]))
        #expect(first.snapshot == nil)
        #expect(first.policyError != nil)
    }

    @Test(arguments: [false, true])
    func excludeLabelCanBeIgnored(ignore: Bool) throws {
        let build = SnapshotBuilder(ignoreExcludeLabel: ignore).build(try inputs())
        let nodeB = try #require(build.snapshot?.nodes.first { $0.name == "node-b" })
        #expect(nodeB.isExcludedFromLoadBalancers == !ignore)
    }

    @Test func classFilterAppliesToTheSnapshot() throws {
        let build = SnapshotBuilder(classFilter: .named("lbd.example.com/lb")).build(try inputs())
        #expect(build.snapshot?.services.map(\.id.name) == ["classy"])
    }
}
