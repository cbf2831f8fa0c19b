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

/// The Lease's `spec.leaseTransitions` (0 when absent).
func leaseTransitions(_ cluster: KubeCluster) -> Int64 {
    cluster.server.object(.leases, namespace: KubeCluster.namespace, name: KubeCluster.leaseName)?[
        path: ["spec", "leaseTransitions"]]?.intValue ?? 0
}
