import Foundation
import KubeTestServer
import LabKit
import Testing

extension KubeSourceE2E {
    /// A restarted lbd reshuffles nothing: addresses in Service status are replayed before anything is allocated
    /// (metallb.md §c, MetalLB #1774).
    @Suite struct RestartTests {
        /// Services with addresses, lbd stopped (SIGTERM), the lowest one deleted meanwhile, lbd started again:
        /// the others keep their addresses (a fresh allocation in name order would shift them down), and a new
        /// Service gets the freed one.
        @Test func aRestartKeepsEveryAddress() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.20", "2001:db8::10-2001:db8::20"])
                let lbd = try cluster.lbd("node-a")
                let services = [TestService("s1"), TestService("s2"),
                                TestService("s3").with(\.families, .dual(policy: "RequireDualStack")),
                                TestService("s4").annotated("metallb.io/allow-shared-ip", "k"),
                                TestService("s5").with(\.ports, [("UDP", 53)]).annotated("metallb.io/allow-shared-ip", "k")]
                for service in services {
                    try cluster.create(service)
                    try await cluster.waitForIngress(service.name, count: service.name == "s3" ? 2 : 1)
                }
                let before = cluster.allIngress()
                #expect(before["s4"] == before["s5"], "s4 and s5 do not share: \(before)")

                let status = try await lbd.stop()
                #expect(status == 0, "lbd exited with \(status) on SIGTERM")
                #expect(cluster.allIngress() == before, "stopping lbd changed the statuses")
                try cluster.deleteService("s1")
                try lbd.start()
                try cluster.create(TestService("after"))
                try await cluster.waitForIngress("after", equal: before["s1"] ?? [])
                var now = cluster.allIngress()
                now["after"] = nil
                var expected = before
                expected["s1"] = nil
                #expect(now == expected, "addresses moved at the restart")
                for service in services.dropFirst() {
                    #expect(cluster.events(service.name, reason: "ClearAssignment").isEmpty,
                            "\(service.name): \(cluster.eventSummary(service.name))")
                }
            }
        }

        /// A Service whose status holds a valid address (not the pool's first) before lbd ever starts keeps it,
        /// even though new Services that sort before it would take it in a fresh allocation: the pool has two
        /// addresses, so the second new one must wait (AllocationFailed), not steal.
        @Test func aStatusSeededBeforeTheFirstStartIsKept() async throws {
            try await withCluster { cluster in
                try cluster.createPool("pair", ["192.0.2.10-192.0.2.11"])
                try cluster.create(TestService("a-new"))
                try cluster.create(TestService("b-new"))
                try cluster.create(TestService("z-seeded").with(\.ingress, ["192.0.2.11"])
                    .annotated("metallb.io/ip-allocated-from-pool", "pair"))
                try cluster.lbd("node-a")
                try await cluster.waitForIngress("a-new", equal: ["192.0.2.10"])
                try await cluster.waitForEvent("b-new", reason: "AllocationFailed")
                #expect(cluster.ingress("z-seeded") == ["192.0.2.11"], "the seeded service lost its address")
                #expect(cluster.ingress("b-new").isEmpty, "b-new took \(cluster.ingress("b-new"))")
                // Freeing the seeded address gives it to the one waiting.
                try cluster.deleteService("z-seeded")
                try await cluster.waitForIngress("b-new", equal: ["192.0.2.11"])
            }
        }
    }
}
