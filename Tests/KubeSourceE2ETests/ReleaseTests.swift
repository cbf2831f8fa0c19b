import KubeTestServer
import LabKit
import Testing

extension KubeSourceE2E {
    /// A deleted Service's address goes back to the pool and to the next Service that needs one (metallb.md §c).
    @Suite struct ReleaseTests {
        /// A pool of two: the third Service waits (AllocationFailed, no status) until a delete frees an address,
        /// which it then gets; a later Service gets the next freed one.
        @Test func deletedAddressesAreReusedAndPendingServicesGetThem() async throws {
            try await withCluster { cluster in
                try cluster.createPool("tiny", ["192.0.2.1-192.0.2.2"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("first"))
                try await cluster.waitForIngress("first", equal: ["192.0.2.1"])
                try cluster.create(TestService("second"))
                try await cluster.waitForIngress("second", equal: ["192.0.2.2"])

                // Exhausted: a Warning, no status, no pool annotation.
                try cluster.create(TestService("third"))
                let failed = try await cluster.waitForEvent("third", reason: "AllocationFailed")
                #expect(failed["type"]?.stringValue == "Warning", "AllocationFailed: \(failed.serialized)")
                #expect(cluster.ingress("third").isEmpty, "third got \(cluster.ingress("third")) from a full pool")
                #expect(cluster.allocatedPool("third") == nil)

                // The pending one gets the freed address.
                try cluster.deleteService("first")
                try await cluster.waitForIngress("third", equal: ["192.0.2.1"])
                try await cluster.waitForAllocatedPool("third", "tiny")
                try await cluster.waitForEvent("third", reason: "IPAllocated")

                // A new one gets the next freed address.
                try cluster.deleteService("second")
                try cluster.create(TestService("fourth"))
                try await cluster.waitForIngress("fourth", equal: ["192.0.2.2"])
                #expect(cluster.ingress("third") == ["192.0.2.1"], "third moved")
            }
        }

        /// A Service that stays pending while lbd reconciles again and again (20 other Services come and go) does
        /// not flood the API: its AllocationFailed events are aggregated into at most a few Event objects.
        @Test func aPendingServiceDoesNotFloodTheAPIWithEvents() async throws {
            try await withCluster { cluster in
                try cluster.createPool("one", ["192.0.2.1/32"])
                try cluster.createPool("side", ["198.51.100.1/32"], autoAssign: false)
                try cluster.lbd("node-a")
                try cluster.create(TestService("holder"))
                try await cluster.waitForIngress("holder", equal: ["192.0.2.1"])
                try cluster.create(TestService("starved"))
                try await cluster.waitForEvent("starved", reason: "AllocationFailed")
                for round in 0..<20 {
                    let name = "churn-\(round)"
                    try cluster.create(TestService(name).annotated("metallb.io/address-pool", "side"))
                    try await cluster.waitForIngress(name, equal: ["198.51.100.1"])
                    try cluster.deleteService(name)
                }
                try cluster.create(TestService("last").annotated("metallb.io/address-pool", "side"))
                try await cluster.waitForIngress("last", equal: ["198.51.100.1"])
                let failed = cluster.events("starved", reason: "AllocationFailed")
                #expect(failed.count <= 3, "\(failed.count) AllocationFailed Event objects about starved")
                #expect(cluster.ingress("starved").isEmpty)
            }
        }

        /// What lbd wrote, undone by someone else (status emptied, pool annotation removed), is written again with
        /// the same address.
        @Test func aClearedStatusIsWrittenAgain() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("first"))
                try await cluster.waitForIngress("first", equal: ["192.0.2.10"])
                try cluster.create(TestService("second"))
                try await cluster.waitForIngress("second", equal: ["192.0.2.11"])
                let cleared = try cluster.server.patch(.services, namespace: KubeCluster.serviceNamespace,
                                                       name: "second", ["status": ["loadBalancer": ["ingress": .null]]],
                                                       status: true)
                #expect(KubeCluster.ingress(of: cleared).isEmpty, "the status was not cleared: \(cleared.serialized)")
                try await cluster.waitForIngress("second", equal: ["192.0.2.11"])
                try cluster.patchService("second",
                                         ["metadata": ["annotations": ["metallb.io/ip-allocated-from-pool": .null]]])
                try await cluster.waitForAllocatedPool("second", "main")
                #expect(cluster.ingress("second") == ["192.0.2.11"])
            }
        }

        /// A Service that stops being a LoadBalancer (type changed to ClusterIP) releases its address too, and what
        /// lbd wrote is cleared (status and pool annotation), as MetalLB's `clearServiceState` does: else two
        /// Services show the same address.
        @Test func aServiceThatIsNoLongerALoadBalancerReleasesItsAddress() async throws {
            try await withCluster { cluster in
                try cluster.createPool("single", ["192.0.2.1/32"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("web"))
                try await cluster.waitForIngress("web", equal: ["192.0.2.1"])
                try cluster.create(TestService("waiting"))
                try await cluster.waitForEvent("waiting", reason: "AllocationFailed")
                try cluster.patchService("web", ["spec": ["type": "ClusterIP"]])
                try await cluster.waitForIngress("waiting", equal: ["192.0.2.1"])
                try await cluster.waitForNoIngress("web")
                try await cluster.waitForAllocatedPool("web", nil)
            }
        }
    }
}
