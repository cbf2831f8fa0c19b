import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

@Suite struct MappingWriteBackTests {
    let web = ServiceID("default/web")
    let dual = ServiceID("default/dual")

    func world(_ fixtures: [String]) throws -> (objects: [ServiceID: KubeService], mappings: [ServiceID: ServiceMapping]) {
        var objects: [ServiceID: KubeService] = [:]
        var mappings: [ServiceID: ServiceMapping] = [:]
        for fixture in fixtures {
            let object = try MappingFixtures.service(fixture)
            objects[object.id] = object
            mappings[object.id] = try ServiceMapper().map(object, endpoints: .onNodes(["node-a"]))
        }
        return (objects, mappings)
    }

    func report(_ allocations: [ServiceID: Allocation] = [:], failures: [ServiceID: AllocationFailure] = [:],
                decisions: [ServiceID: [String: NodeDecision]] = [:]) -> AllocationReport {
        AllocationReport(outcome: AllocationOutcome(allocations: allocations, failures: failures,
                                                    changed: Set(allocations.keys).union(failures.keys)),
                         plan: AnnouncementPlan(nodes: ["node-a", "node-b"], decisions: decisions))
    }

    func json(_ text: String?) throws -> NSDictionary {
        let data = Data(try #require(text).utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test func aServiceNoLongerALoadBalancerHasItsStatusAndAnnotationClearedWithoutEvents() throws {
        var object = try MappingFixtures.service("svc-basic")
        object.spec.type = "ClusterIP"
        object.status = ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [LoadBalancerIngress(ip: "192.168.10.3")]))
        object.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool] = "pool-a"
        let metallb = MetalLBObjects(namespace: "lbd-system")
        let build = SnapshotBuilder().build(SnapshotInputs(services: [object], metallb: metallb), previousPolicy: .empty)
        #expect(build.services[web] == .ignored(.notLoadBalancer), "kept for writing back")
        #expect(build.snapshot?.services.isEmpty == true, "but not a service for the kernel")

        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let writes = planner.plan(report(), objects: [web: object], mappings: build.services)
        #expect(writes == [ServiceWrite(id: web, resourceVersion: object.metadata.resourceVersion, ingress: [],
                                        poolAnnotation: .remove)])
        #expect(writes.first?.statusPatch() == #"{"status":{"loadBalancer":{"ingress":null}}}"#)

        // Once cleared, the builder forgets it: a ClusterIP Service is not lbd's.
        object.status = ServiceStatus()
        object.metadata.annotations = [:]
        #expect(SnapshotBuilder().build(SnapshotInputs(services: [object], metallb: metallb), previousPolicy: .empty)
                    .services.isEmpty)
        var follower = WriteBackPlanner(node: "node-b", allocating: false)
        #expect(follower.plan(report(), objects: [web: object], mappings: build.services).isEmpty)
    }

    @Test func aNewAllocationWritesStatusAnnotationAndOneEvent() throws {
        var (objects, mappings) = try world(["svc-basic"])
        objects[web]!.status = ServiceStatus()
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let allocated = report([web: Allocation(addresses: [IPAddress("192.168.10.3")!], pool: "pool-a")])

        let first = planner.plan(allocated, objects: objects, mappings: mappings)
        #expect(first.count == 1)
        let write = try #require(first.first)
        #expect(write.ingress == [IPAddress("192.168.10.3")!])
        #expect(write.poolAnnotation == .set("pool-a"))
        #expect(write.events == [EventDescription(.normal, "IPAllocated", "Assigned IP [\"192.168.10.3\"]")])
        #expect(write.statusPatch(resourceVersion: "1001")
                == #"{"metadata":{"resourceVersion":"1001"},"status":{"loadBalancer":{"ingress":[{"ip":"192.168.10.3"}]}}}"#)
        #expect(write.annotationPatch()
                == #"{"metadata":{"annotations":{"metallb.io/ip-allocated-from-pool":"pool-a"}}}"#)
        #expect(try json(write.annotationPatch(resourceVersion: "7")) == [
            "metadata": ["resourceVersion": "7", "annotations": ["metallb.io/ip-allocated-from-pool": "pool-a"]]])

        // The watch has not shown the write yet: write again (idempotent), but never repeat the event.
        let again = planner.plan(allocated, objects: objects, mappings: mappings)
        #expect(again.first?.ingress == [IPAddress("192.168.10.3")!])
        #expect(again.first?.events == [])

        // Once the object shows it, nothing is left to do.
        objects[web]!.status = ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [LoadBalancerIngress(ip: "192.168.10.3")]))
        objects[web]!.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool] = "pool-a"
        #expect(planner.plan(allocated, objects: objects, mappings: mappings).isEmpty)
    }

    @Test func aRestartedPlannerDoesNotReannounceWhatStatusAlreadyShows() throws {
        var (objects, mappings) = try world(["svc-dualstack"])
        objects[dual]!.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool] = "pool-a"
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let kept = report([dual: Allocation(addresses: [IPAddress("192.168.10.2")!, IPAddress("fc00::2")!], pool: "pool-a")])
        #expect(planner.plan(kept, objects: objects, mappings: mappings).isEmpty)
    }

    @Test(arguments: [
        // allocated pairs: IPv4 first as the allocator orders them; explicit requests keep their order
        (["192.168.10.4", "fc00::4"], #"[{"ip":"192.168.10.4"},{"ip":"fc00::4"}]"#),
        (["fc00::5", "192.168.10.5"], #"[{"ip":"fc00::5"},{"ip":"192.168.10.5"}]"#),
    ])
    func ingressKeepsTheAllocationsOrder(addresses: [String], ingress: String) throws {
        let (objects, mappings) = try world(["svc-dualstack"])
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let writes = planner.plan(report([dual: Allocation(addresses: addresses.map { IPAddress($0)! }, pool: "pool-a")]),
                                  objects: objects, mappings: mappings)
        #expect(writes.first?.statusPatch() == #"{"status":{"loadBalancer":{"ingress":"# + ingress + "}}}")
        #expect(writes.first?.events.last?.message == "Assigned IP [" + addresses.map { "\"\($0)\"" }.joined(separator: " ") + "]")
    }

    @Test func preferDualStackWithOneFamilySaysSoOnce() throws {
        let (objects, mappings) = try world(["svc-prefer-dual"])
        let id = ServiceID("default/prefer2")
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let single = report([id: Allocation(addresses: [IPAddress("192.168.10.8")!], pool: "v4-only")])
        let write = try #require(planner.plan(single, objects: objects, mappings: mappings).first)
        #expect(write.events.map(\.reason) == ["IPAllocated", "AdditionalAssignFailed"])
        #expect(write.events.last?.message.contains("IPv6") == true)
        #expect(write.events.last?.type == .normal)
        #expect(planner.plan(single, objects: objects, mappings: mappings).first?.events == [])
        let both = report([id: Allocation(addresses: [IPAddress("192.168.10.8")!, IPAddress("fc00::8")!], pool: "dual")])
        #expect(planner.plan(both, objects: objects, mappings: mappings).first?.events.map(\.reason) == ["IPAllocated"])
    }

    @Test func aMovedAddressClearsAndAssigns() throws {
        let (objects, mappings) = try world(["svc-basic"])
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let writes = planner.plan(report([web: Allocation(addresses: [IPAddress("192.168.10.9")!], pool: "pool-b")]),
                                  objects: objects, mappings: mappings)
        #expect(writes.first?.events.map(\.reason) == ["ClearAssignment", "IPAllocated"])
        #expect(writes.first?.events.first?.message == "current IP for \"default/web\" not allowed by config, clearing")
    }

    @Test func aFailureClearsStatusAndWarnsOncePerMessage() throws {
        var (objects, mappings) = try world(["svc-basic"])
        objects[web]!.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool] = "pool-a"
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let exhausted = report(failures: [web: AllocationFailure(.poolExhausted, "pool pool-a is full")])
        let first = try #require(planner.plan(exhausted, objects: objects, mappings: mappings).first)
        #expect(first.ingress == [])
        #expect(first.statusPatch() == #"{"status":{"loadBalancer":{"ingress":null}}}"#)
        #expect(first.poolAnnotation == .remove)
        #expect(first.annotationPatch() == #"{"metadata":{"annotations":{"metallb.io/ip-allocated-from-pool":null}}}"#)
        #expect(first.events == [
            EventDescription(.normal, "ClearAssignment", "current IP for \"default/web\" not allowed by config, clearing"),
            EventDescription(.warning, "AllocationFailed", "Failed to allocate IP for \"default/web\": pool pool-a is full"),
        ])
        objects[web]!.status = ServiceStatus()
        objects[web]!.metadata.annotations = [:]
        #expect(planner.plan(exhausted, objects: objects, mappings: mappings).isEmpty)
        let other = report(failures: [web: AllocationFailure(.unknownPool, "pool x does not exist")])
        #expect(planner.plan(other, objects: objects, mappings: mappings).first?.events.map(\.reason) == ["AllocationFailed"])
    }

    @Test func rejectedServicesAreClearedAndWarnedOnce() throws {
        var (objects, mappings) = try world(["svc-lbip-conflict"])
        let id = ServiceID("default/conflict")
        objects[id]!.status = ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [LoadBalancerIngress(ip: "192.168.10.5")]))
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let first = try #require(planner.plan(report(), objects: objects, mappings: mappings).first)
        #expect(first.ingress == [])
        #expect(first.events.map(\.reason) == ["ClearAssignment", "LoadBalancerFailed"])
        objects[id]!.status = ServiceStatus()
        #expect(planner.plan(report(), objects: objects, mappings: mappings).isEmpty)
    }

    @Test func deprecatedAnnotationWarningsAreEmittedOnce() throws {
        let (objects, mappings) = try world(["svc-deprecated"])
        var planner = WriteBackPlanner(node: "node-a", allocating: true)
        let first = planner.plan(report(), objects: objects, mappings: mappings)
        #expect(first.first?.events.map(\.reason) == Array(repeating: "deprecatedAnnotation", count: 3))
        #expect(planner.plan(report(), objects: objects, mappings: mappings).isEmpty)
    }

    @Test(arguments: [
        // allocating, layer2Owners, expected events
        (true, nil, ["announcing from node \"node-a\" with protocol \"bgp\"",
                     "announcing from node \"node-a\" with protocol \"layer2\""]),
        (false, ["default/web": "node-b"], ["announcing from node \"node-a\" with protocol \"bgp\""]),
        (false, ["default/web": "node-a"], ["announcing from node \"node-a\" with protocol \"bgp\"",
                                            "announcing from node \"node-a\" with protocol \"layer2\""]),
    ] as [(Bool, [String: String]?, [String])])
    func nodeAssignedForThisNodeOnly(allocating: Bool, owners: [String: String]?, messages: [String]) throws {
        var (objects, mappings) = try world(["svc-basic"])
        objects[web]!.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool] = "pool-a"
        var planner = WriteBackPlanner(node: "node-a", allocating: allocating)
        let decisions = [web: ["node-a": NodeDecision(layer2: .announce, bgp: .announce),
                               "node-b": NodeDecision(layer2: .announce, bgp: .skip(.nodeNotSelected))]]
        let kept = report([web: Allocation(addresses: [IPAddress("192.168.10.1")!], pool: "pool-a")], decisions: decisions)
        let ownerMap = owners.map { Dictionary(uniqueKeysWithValues: $0.map { (ServiceID($0.key), $0.value) }) }
        let writes = planner.plan(kept, objects: objects, mappings: mappings, layer2Owners: ownerMap)
        let write = try #require(writes.first)
        #expect(write.events.map(\.message) == messages)
        #expect(write.events.allSatisfy { $0.reason == "nodeAssigned" && $0.type == .normal })
        // Only the allocating lbd writes status (here: the hostname entry is dropped).
        #expect((write.ingress != nil) == allocating)
        let again = planner.plan(kept, objects: objects, mappings: mappings, layer2Owners: ownerMap)
        #expect(again.allSatisfy { $0.events.isEmpty })
    }
}
