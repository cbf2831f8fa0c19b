import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

/// EndpointSlices, Nodes and Namespaces.
@Suite struct MappingInventoryTests {
    @Test func servingEndpointsAreAggregatedOverSlicesPerService() throws {
        let index = EndpointIndex(try MappingFixtures.list(KubeEndpointSlice.self, "endpointslices"))
        // node-a ready; node-b not ready and not serving; node-c terminating but serving; node-d no conditions
        // (unknown → ready); the endpoint without nodeName is ignored.
        #expect(index.endpoints(of: ServiceID("default/web")) == .onNodes(["node-a", "node-c", "node-d"]))
        // Slices are per namespace.
        #expect(index.endpoints(of: ServiceID("other/web")) == .onNodes(["node-z"]))
        // A slice whose only endpoint is terminating and not serving: the service has none.
        #expect(index.endpoints(of: ServiceID("default/local")) == .onNodes([]))
        // No slice at all.
        #expect(index.endpoints(of: ServiceID("default/none")) == .onNodes([]))
    }

    @Test(arguments: [
        (KubeEndpointSlice.Conditions?.none, true),
        (KubeEndpointSlice.Conditions(ready: true), true),
        (KubeEndpointSlice.Conditions(ready: false), false),
        (KubeEndpointSlice.Conditions(ready: false, serving: true, terminating: true), true),
        (KubeEndpointSlice.Conditions(ready: false, serving: false, terminating: true), false),
        (KubeEndpointSlice.Conditions(serving: false), true),
    ])
    func servingRule(conditions: KubeEndpointSlice.Conditions?, serving: Bool) {
        #expect(KubeEndpointSlice.Endpoint(conditions: conditions, nodeName: "n").isServing == serving)
    }

    @Test func nodesKeepLabelsAndReportNetworkUnavailable() throws {
        let nodes = try MappingFixtures.list(KubeNode.self, "nodes").map(\.node)
        #expect(nodes.map(\.name) == ["node-a", "node-b", "node-c"])
        #expect(nodes[0].labels["zone"] == "a")
        #expect(!nodes[0].networkUnavailable && !nodes[0].isExcludedFromLoadBalancers)
        #expect(nodes[1].isExcludedFromLoadBalancers && !nodes[1].networkUnavailable)
        #expect(nodes[2].networkUnavailable && !nodes[2].isExcludedFromLoadBalancers)
    }

    @Test func namespaceLabelsByName() throws {
        let labels = KubeNamespace.labels(try MappingFixtures.list(KubeNamespace.self, "namespaces"))
        #expect(labels["team-blue"]?["team"] == "blue")
        #expect(labels["default"] == ["kubernetes.io/metadata.name": "default"])
    }
}
