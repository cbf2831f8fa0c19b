import Foundation
import KubeTestServer
import LabKit
import Testing

extension KubeSourceE2E {
    /// Two lbds with the kubernetes source: one Lease, one allocator; the leader killed with `kill -9` while Services
    /// are being created.
    @Suite struct LeaderElectionTests {
        /// One lbd holds the Lease (and keeps it while nothing fails); killed (-9) while 200 Services are being
        /// created, the other takes the Lease; afterwards no address is given twice, no Service lost the address it
        /// had at the kill, and none is left pending (the pool has room for all).
        @Test func killingTheLeaderMidBurstMovesNoAddress() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["10.10.0.0/24"])
                let lbds = [try cluster.lbd("node-a"), try cluster.lbd("node-b")]
                let holder = try await cluster.waitForLeaseHolder()
                let leader = try #require(lbds.first { holder.contains($0.node) },
                                          "Lease holder '\(holder)' names neither node-a nor node-b")
                let follower = try #require(lbds.first { $0 !== leader })

                let early = (0..<20).map { String(format: "early-%02d", $0) }
                for name in early { try cluster.create(TestService(name)) }
                for name in early { try await cluster.waitForIngress(name) }
                let transitions = leaseTransitions(cluster)
                let leading = lbds.filter { !$0.logLines(containing: "became the allocating leader").isEmpty }
                #expect(leading.map(\.node) == [leader.node], "lbds that say they lead: \(leading.map(\.node))")
                let stillHolder = cluster.leaseHolder ?? "nobody"
                #expect(stillHolder == holder, "the Lease moved to \(stillHolder) though nothing failed")
                #expect(leaseTransitions(cluster) == transitions)

                // The kill falls after the leader has given addresses to some of the burst, while it goes on.
                var atKill: [String: [String]] = [:]
                var killedAt: Int?
                for index in 0..<200 {
                    try cluster.create(TestService(String(format: "burst-%03d", index)))
                    if killedAt == nil, index >= 60 {
                        let now = cluster.allIngress().filter { !$0.value.isEmpty }
                        if now.keys.contains(where: { $0.hasPrefix("burst-") }) {
                            atKill = now
                            await leader.kill()
                            killedAt = index
                        }
                    }
                    // Pacing, so that creations and allocations interleave.
                    try await Task.sleep(for: .milliseconds(3))
                }
                #expect(killedAt != nil, "the leader gave no address to the first 200 of the burst; killed after it")
                if killedAt == nil {
                    atKill = cluster.allIngress().filter { !$0.value.isEmpty }
                    await leader.kill()
                }
                let newHolder = try await cluster.waitForLeaseHolder(other: holder)
                #expect(newHolder.contains(follower.node), "the Lease went to '\(newHolder)', not \(follower.node)")

                let names = early + (0..<200).map { String(format: "burst-%03d", $0) }
                let all = try await poll("all 220 services to have an address", within: KubeCluster.wait,
                                         abortIf: { try cluster.requireRunning() },
                                         observe: { cluster.allIngress() },
                                         until: { all in names.allSatisfy { all[$0]?.count == 1 } },
                                         describe: { all in
                                             "pending: \(names.filter { all[$0]?.count != 1 }.prefix(20))"
                                         })
                let addresses = names.compactMap { all[$0]?.first }
                #expect(Set(addresses).count == addresses.count, "addresses given twice: \(duplicates(addresses))")
                let moved = atKill.filter { all[$0.key] != $0.value }
                    .map { "\($0.key): \($0.value) → \(all[$0.key] ?? [])" }
                #expect(moved.isEmpty, "services that lost their address at the leader change: \(moved)")
                #expect(atKill.count >= 20, "only \(atKill.count) services had addresses at the kill")

                // The killed one comes back as a follower: nothing moves, the Lease stays.
                try leader.start()
                try cluster.create(TestService("after-rejoin"))
                try await cluster.waitForIngress("after-rejoin")
                try await leader.waitForLog("the restarted lbd following \(newHolder)") {
                    $0.contains("leader is \(newHolder)")
                }
                try await leader.waitForLog("the restarted lbd seeing after-rejoin's address") {
                    $0.contains("default/after-rejoin")
                }
                #expect(cluster.leaseHolder == newHolder, "the Lease moved to \(cluster.leaseHolder ?? "nobody")")
                let final = cluster.allIngress()
                let movedAgain = names.filter { final[$0] != all[$0] }
                #expect(movedAgain.isEmpty, "services that moved when the old leader came back: \(movedAgain)")
            }
        }

        /// While another holds the Lease, lbd only follows: it announces what Service status says (a Service with a
        /// seeded status and a ready endpoint shows up in the log announcer's output) but gives no address to a
        /// Service without one; once the Lease is released it takes it and allocates, around the seeded address.
        @Test func anLBDThatDoesNotHoldTheLeaseAllocatesNothing() async throws {
            try await withCluster { cluster in
                try cluster.createPool("pair", ["192.0.2.10-192.0.2.11"])
                try cluster.server.create(.leases, namespace: KubeCluster.namespace, [
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": ["name": .string(KubeCluster.leaseName), "namespace": .string(KubeCluster.namespace)],
                    "spec": ["holderIdentity": "someone-else", "leaseDurationSeconds": 3600,
                             "acquireTime": .string(microTime(Date())), "renewTime": .string(microTime(Date())),
                             "leaseTransitions": 0],
                ])
                try cluster.create(TestService("a-new"))
                try cluster.create(TestService("seeded").with(\.ingress, ["192.0.2.10"])
                    .annotated("metallb.io/ip-allocated-from-pool", "pair"))
                try cluster.createReadyEndpoint(for: "seeded", node: "node-a")
                let lbd = try cluster.lbd("node-a")
                try await lbd.waitForLog("the follower announcing the seeded address") { line in
                    line.contains("+ default/seeded") && line.contains("192.0.2.10")
                }
                #expect(cluster.ingress("a-new").isEmpty, "a follower gave a-new \(cluster.ingress("a-new"))")
                #expect(cluster.events("a-new").isEmpty, "a follower wrote events: \(cluster.eventSummary("a-new"))")
                #expect(cluster.leaseHolder == "someone-else")

                try cluster.server.patch(.leases, namespace: KubeCluster.namespace, name: KubeCluster.leaseName,
                                         ["spec": ["holderIdentity": ""]])
                let holder = try await cluster.waitForLeaseHolder()
                #expect(holder.contains("node-a"), "the Lease went to \(holder)")
                try await cluster.waitForIngress("a-new", equal: ["192.0.2.11"])
                #expect(cluster.ingress("seeded") == ["192.0.2.10"], "seeded moved")
            }
        }

        /// A follower leaves Services alone: with the leader stopped gracefully the follower takes over, and a
        /// Service created before takes the address lbd would have given it.
        @Test func theFollowerTakesOverAfterAGracefulStop() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                let lbds = [try cluster.lbd("node-a"), try cluster.lbd("node-b")]
                let holder = try await cluster.waitForLeaseHolder()
                let leader = try #require(lbds.first { holder.contains($0.node) },
                                          "Lease holder '\(holder)' names neither node-a nor node-b")
                try cluster.create(TestService("first"))
                try await cluster.waitForIngress("first", equal: ["192.0.2.10"])
                let status = try await leader.stop()
                #expect(status == 0, "lbd exited with \(status) on SIGTERM")
                #expect(cluster.ingress("first") == ["192.0.2.10"], "a graceful stop cleared the status")
                try cluster.create(TestService("second"))
                let newHolder = try await cluster.waitForLeaseHolder(other: holder)
                try await cluster.waitForIngress("second", equal: ["192.0.2.11"])
                #expect(!newHolder.contains(leader.node))
                #expect(cluster.ingress("first") == ["192.0.2.10"], "first moved at the leader change")
            }
        }
    }
}

/// `date` as a Kubernetes MicroTime (RFC 3339, UTC, six fractional digits).
func microTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
    return formatter.string(from: date)
}

/// The Lease's `spec.leaseTransitions` (0 when absent).
func leaseTransitions(_ cluster: KubeCluster) -> Int64 {
    cluster.server.object(.leases, namespace: KubeCluster.namespace, name: KubeCluster.leaseName)?[
        path: ["spec", "leaseTransitions"]]?.intValue ?? 0
}
