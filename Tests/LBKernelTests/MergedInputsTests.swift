import Testing
@testable import LBKernel

/// One set of merge rules for the kernel, `lbd plan` and `lbd check`.
struct MergedInputsTests {
    static let pool = AddressPool(name: "p", addresses: [try! AddressBlock(parsing: "10.0.0.0/24")])

    @Test func mergesSourcesInOrderFirstOneWins() {
        let web = Service(id: ServiceID("web"), sharingKey: "first")
        let first = SourceSnapshot(services: [web], policy: Policy(pools: [Self.pool]),
                                   nodes: [Node(name: "b", labels: ["from": "first"])],
                                   recorded: [web.id: [IPAddress("10.0.0.1")!]])
        let second = SourceSnapshot(services: [Service(id: ServiceID("web"), sharingKey: "second"), Service(id: ServiceID("db"))],
                                    nodes: [Node(name: "b", labels: ["from": "second"]), Node(name: "c")],
                                    recorded: [web.id: [IPAddress("10.0.0.9")!]])
        let merged = MergedInputs(staticPolicy: Policy(layer2Advertisements: [Layer2Advertisement(name: "l2")]),
                                  staticNodes: [Node(name: "s")], snapshots: [first, second], node: Node(name: "a"))
        #expect(merged.services.map(\.id.name) == ["web", "db"])
        #expect(merged.services.first?.sharingKey == "first")
        #expect(merged.duplicateServices == [ServiceID("web")])
        #expect(merged.recorded[web.id] == [IPAddress("10.0.0.1")!])
        #expect(merged.nodes.map(\.name) == ["a", "b", "c", "s"])
        #expect(merged.nodes.first { $0.name == "b" }?.labels["from"] == "first")
        #expect(merged.policy.pools.map(\.name) == ["p"])
        #expect(merged.policy.layer2Advertisements.map(\.name) == ["l2"])
    }

    @Test func thisNodeIsAlwaysPresentButNotReplaced() {
        let known = Node(name: "a", labels: ["zone": "1"])
        let merged = MergedInputs(snapshots: [SourceSnapshot(nodes: [known])], node: Node(name: "a"))
        #expect(merged.nodes == [known])
    }
}
