import KubeTestServer
import LabKit
import Testing

extension KubeSourceE2E {
    /// What a flaky or restarted API server does to lbd: it recovers, and Services still get their status.
    @Suite struct FaultTests {
        /// Watches dropped mid-stream (twice): lbd resumes, and Services created after each drop get addresses.
        @Test func droppedWatchesAreResumed() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("before"))
                try await cluster.waitForIngress("before", equal: ["192.0.2.10"])
                cluster.server.dropWatches()
                try cluster.create(TestService("after-drop"))
                try await cluster.waitForIngress("after-drop", equal: ["192.0.2.11"])
                cluster.server.dropWatches()
                try cluster.deleteService("before")
                try cluster.create(TestService("after-second-drop"))
                try await cluster.waitForIngress("after-second-drop", equal: ["192.0.2.10"])
                #expect(cluster.ingress("after-drop") == ["192.0.2.11"], "after-drop moved")
            }
        }

        /// The history forgotten and the watches dropped: resuming gets 410 Gone, lbd relists, and a Service
        /// deleted and one created meanwhile are seen.
        @Test func goneOnResumeRelists() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.11"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("first"))
                try await cluster.waitForIngress("first", equal: ["192.0.2.10"])
                try cluster.create(TestService("second"))
                try await cluster.waitForIngress("second", equal: ["192.0.2.11"])
                cluster.server.forgetHistory()
                cluster.server.dropWatches()
                try cluster.deleteService("first")
                try cluster.create(TestService("third"))
                // Only a relist that saw the delete frees .10 for the new one.
                try await cluster.waitForIngress("third", equal: ["192.0.2.10"])
                #expect(cluster.ingress("second") == ["192.0.2.11"], "second moved")
            }
        }

        /// The API server restarted with its state lost (watches closed, old resourceVersions gone): the test creates
        /// the objects again and lbd, relisting, gives every Service an address and takes the Lease again.
        @Test func anAPIServerRestartedEmptyIsRelisted() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a")
                for name in ["one", "two", "three"] {
                    try cluster.create(TestService(name))
                    try await cluster.waitForIngress(name)
                }
                let holder = try await cluster.waitForLeaseHolder()

                cluster.server.restart()
                try cluster.seedBase()
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                let names = ["one", "two", "three", "four"]
                for name in names { try cluster.create(TestService(name)) }
                var addresses: [String] = []
                for name in names { addresses += try await cluster.waitForIngress(name) }
                #expect(Set(addresses).count == addresses.count, "addresses given twice: \(duplicates(addresses))")
                #expect(addresses.allSatisfy { $0.hasPrefix("192.0.2.1") }, "addresses outside the pool: \(addresses)")
                for name in names { try await cluster.waitForAllocatedPool(name, "main") }
                let newHolder = try await cluster.waitForLeaseHolder()
                #expect(newHolder == holder, "the Lease was taken by \(newHolder), not \(holder)")
            }
        }

        /// Two 409 Conflicts on a Service's status write: lbd re-reads and retries; the status is right, and the
        /// request log shows the retries.
        @Test func conflictsOnStatusWritesAreRetried() async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("warm-up"))
                try await cluster.waitForIngress("warm-up", equal: ["192.0.2.10"])
                let path = "/services/conflicted/status"
                cluster.server.failNext(count: 2, status: 409, pathContaining: path)
                try cluster.create(TestService("conflicted"))
                try await cluster.waitForIngress("conflicted", equal: ["192.0.2.11"])
                try await cluster.waitForAllocatedPool("conflicted", "main")
                let writes = cluster.server.requestLog.filter { $0.contains(path) }
                #expect(writes.count >= 3, "status writes of conflicted: \(writes)")
            }
        }

        /// Bursts of 429 Too Many Requests and 500 on every request (watches and the Lease included): lbd backs off,
        /// retries and gives the Services created during them their addresses.
        @Test(arguments: [429, 500, 503])
        func errorBurstsAreRetried(status: Int) async throws {
            try await withCluster { cluster in
                try cluster.createPool("main", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("warm-up"))
                try await cluster.waitForIngress("warm-up", equal: ["192.0.2.10"])
                cluster.server.failNext(count: 6, status: status)
                cluster.server.dropWatches()
                try cluster.create(TestService("during-\(status)"))
                try await cluster.waitForIngress("during-\(status)", equal: ["192.0.2.11"])
                try await cluster.waitForAllocatedPool("during-\(status)", "main")
                #expect(cluster.ingress("warm-up") == ["192.0.2.10"], "warm-up moved")
            }
        }
    }
}
