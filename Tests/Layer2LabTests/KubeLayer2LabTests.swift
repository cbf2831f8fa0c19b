import Foundation
import KubeTestServer
import LabKit
import LBKernel
import Testing

/// lbd with the `kubernetes` source and the layer2 plugin on three nodes, driven by the API test server (issue 5):
/// a Service created through the API becomes reachable by ARP from its expected owner alone, and unreachable again
/// once deleted.
@Suite(.serialized)
struct KubeLayer2LabTests {
    /// The harness alone: lbd's kubeconfig (the server's URL on 127.0.0.1, its CA, the token) works from inside
    /// every node's namespace, through the relay, and the objects written with kubectl are there.
    @Test("the API test server answers lbd's kubeconfig from inside every node's namespace")
    func serverReachableFromNodes() async throws {
        try await withKubeLayer2Cluster(first: nil) { cluster in
            let lab = cluster.lab
            for node in lab.nodes {
                let names = try await lab.run(cluster.kubectl.command(["get", "nodes", "-o", "name"]), in: node)
                #expect(lab.holds(names.stdout.split(separator: "\n") == ["node/n1", "node/n2", "node/n3"]),
                        "kubectl get nodes in \(node): \(names)")
                let pools = try await lab.run(cluster.kubectl.command(
                    ["get", "ipaddresspools.metallb.io", "-n", KubeLayer2Cluster.namespace, "-o", "name"]), in: node)
                #expect(lab.holds(pools.stdout.contains("vips")), "\(pools)")
            }
            // A wrong token is refused: the relay passes TLS and authentication through untouched.
            let wrong = try await lab.attempt(["kubectl", "--server", cluster.api.url, "--token", "wrong",
                                               "--insecure-skip-tls-verify", "get", "nodes"], in: lab.node("n1"))
            #expect(lab.holds(!wrong.succeeded && wrong.stderr.contains("must be logged in")), "\(wrong)")
        }
    }

    @Test("a LoadBalancer Service created with kubectl gets the pool's address; its expected owner, a follower of the Lease holder, alone answers ARP; deleted, nobody answers")
    func serviceAnsweredByExpectedOwner() async throws {
        try await withKubeLayer2Cluster(first: "n1") { cluster in
            let lab = cluster.lab
            let ranking = ExpectedOwner.ranking(of: Layer2Lab.nodeNames, for: "\(Layer2Lab.vip4)")
            let owner = lab.node(ranking[0])
            #expect(lab.holds(owner.name == "n3"), "SHA-256 order of n#10.97.0.100 is n3, n1, n2")
            // Nothing is announced before there is a Service.
            let before = try await NeighborQueries.arping(lab, from: lab.client, Layer2Lab.vip4, count: 1)
            #expect(lab.holds(before.isEmpty), "arping before any Service heard \(before)")

            try await cluster.kubectl.create("web", KubeLayer2Cluster.service("web", endpointNode: "n2"))
            let ingress = try await cluster.waitForIngress("web")
            #expect(lab.holds(ingress == ["\(Layer2Lab.vip4)"]), "status.loadBalancer.ingress: \(ingress)")
            // The annotation is a write of its own (the object, not its status), as MetalLB's.
            try await poll("default/web's metallb.io/ip-allocated-from-pool annotation to say vips",
                           within: .seconds(30), every: .milliseconds(20),
                           observe: { cluster.api.object(.services, namespace: "default", name: "web")?[
                               path: ["metadata", "annotations", "metallb.io/ip-allocated-from-pool"]]?.stringValue },
                           until: { $0 == "vips" }, describe: { $0 ?? "no annotation" })

            // The allocator is n1 (it took the Lease alone); the owner n3 announces what the status says.
            try await cluster.waitForOwner(owner.name, of: "default/web")
            try await cluster.waitForARP(Layer2Lab.vip4, answeredOnlyBy: owner)
            let arp = try await NeighborQueries.arping(lab, from: lab.client, Layer2Lab.vip4, count: 3)
            #expect(lab.holds(Layer2Cluster.only(owner, in: arp, atLeast: 3)), "arping heard \(arp)")
            let holder = cluster.leaseHolder
            #expect(lab.holds(holder == "n1" || holder?.hasPrefix("n1_") == true),
                    "the Lease is still n1's: \(holder ?? "no holder")")
            // nodeAssigned for layer2 comes from the node that won the election, and from no other candidate.
            let assigned = "announcing from node \"\(owner.name)\" with protocol \"layer2\""
            let messages = { cluster.api.serviceEvents(name: "web", reason: "nodeAssigned").compactMap { $0["message"]?.stringValue } }
            try await poll("the owner's nodeAssigned event", within: .seconds(30), every: .milliseconds(50),
                           observe: { messages() }, until: { $0.contains(assigned) },
                           describe: { "nodeAssigned events: \($0)" })
            #expect(lab.holds(messages() == [assigned]), "nodeAssigned events: \(messages())")

            try await cluster.kubectl.run(["delete", "service", "web", "--namespace", "default"])
            #expect(lab.holds(cluster.ingress("web") == nil), "the Service is gone from the API")
            try await cluster.waitUntilNoneHolds("default/web")
            try await poll("arping \(Layer2Lab.vip4) from the client to go unanswered", within: .seconds(30),
                           every: .milliseconds(50), abortIf: { try cluster.requireRunning() },
                           observe: { try await NeighborQueries.arping(lab, from: lab.client, Layer2Lab.vip4,
                                                                       count: 1) },
                           until: { $0.isEmpty })
            let after = try await NeighborQueries.arping(lab, from: lab.client, Layer2Lab.vip4, count: 2)
            #expect(lab.holds(after.isEmpty), "arping after the deletion heard \(after)")
            try cluster.requireRunning()
        }
    }

    @Test("the Lease holder killed (kill -9): another lbd takes the Lease, the Service keeps its address and owner, and the new holder allocates the next Service, answered by its expected owner among the live nodes")
    func leaderKilled() async throws {
        try await withKubeLayer2Cluster(first: "n1") { cluster in
            let lab = cluster.lab
            let owner = lab.node(ExpectedOwner.ranking(of: Layer2Lab.nodeNames, for: "\(Layer2Lab.vip4)")[0])
            try await cluster.kubectl.create("web", KubeLayer2Cluster.service("web", endpointNode: "n2"))
            #expect(lab.holds(try await cluster.waitForIngress("web") == ["\(Layer2Lab.vip4)"]))
            try await cluster.waitForARP(Layer2Lab.vip4, answeredOnlyBy: owner)

            await cluster.kill("n1")
            let live = ["n2", "n3"]
            try await poll("another lbd to hold the Lease", within: .seconds(30), every: .milliseconds(50),
                           observe: { cluster.leaseHolder }, until: { holder in
                live.contains { holder == $0 || holder?.hasPrefix($0 + "_") == true }
            }, describe: { $0 ?? "no holder" })
            try await cluster.waitForOwner(owner.name, of: "default/web", live: live)
            #expect(lab.holds(cluster.ingress("web") == ["\(Layer2Lab.vip4)"]), "web's address moved")

            try await cluster.kubectl.create("api", KubeLayer2Cluster.service("api", endpointNode: "n3", pool: "more"))
            let ingress = try await cluster.waitForIngress("api")
            #expect(lab.holds(ingress == ["\(KubeLayer2Cluster.second)"]), "api's status: \(ingress)")
            let apiOwner = lab.node(ExpectedOwner.ranking(of: live, for: "\(KubeLayer2Cluster.second)")[0])
            try await cluster.waitForOwner(apiOwner.name, of: "default/api", live: live)
            try await cluster.waitForARP(KubeLayer2Cluster.second, answeredOnlyBy: apiOwner)
            let web = try await NeighborQueries.arping(lab, from: lab.client, Layer2Lab.vip4, count: 3)
            #expect(lab.holds(Layer2Cluster.only(owner, in: web, atLeast: 3)), "arping for web heard \(web)")
            for name in live { try cluster.node(name).requireRunning() }
        }
    }

    /// MetalLB elects one owner per Service, keyed on its first address: the IPv4 one here.
    @Test("a RequireDualStack Service from the dual pool: both addresses in its status, ARP and NDP answered by the expected owner of its first address alone")
    func dualStackService() async throws {
        try await withKubeLayer2Cluster(first: "n1") { cluster in
            let lab = cluster.lab
            let (v4, v6) = KubeLayer2Cluster.dual
            let owner = lab.node(ExpectedOwner.ranking(of: Layer2Lab.nodeNames, for: "\(v4)")[0])
            try await cluster.kubectl.create("dual", KubeLayer2Cluster.service("dual", endpointNode: "n1", pool: "dual",
                                                                             dualStack: true))
            let ingress = try await cluster.waitForIngress("dual")
            #expect(lab.holds(ingress == ["\(v4)", "\(v6)"]), "status.loadBalancer.ingress: \(ingress)")
            try await cluster.waitForOwner(owner.name, of: "default/dual")
            try await cluster.waitForARP(v4, answeredOnlyBy: owner)
            try await cluster.waitForNDP(v6, answeredOnlyBy: owner)
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.client, v6)
            #expect(lab.holds(Layer2Cluster.only(owner, in: ndp)), "ndisc6 heard \(ndp)")
            try cluster.requireRunning()
        }
    }
}
