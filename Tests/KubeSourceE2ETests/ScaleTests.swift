import KubeTestServer
import LabKit
import Testing

extension KubeSourceE2E {
    /// Many Services at once.
    @Suite struct ScaleTests {
        /// 1,000 Services created at once (as fast as the store takes them) all get distinct addresses of the pool
        /// (1,024 addresses), each with the pool annotation.
        @Test func aThousandServicesCreatedAtOnceAllGetDistinctAddresses() async throws {
            try await withCluster { cluster in
                try cluster.createPool("big", ["10.200.0.0/22"])
                try cluster.lbd("node-a", logLevel: "info")
                let names = (0..<1000).map { "svc-\($0)" }
                for name in names { try cluster.create(TestService(name)) }
                let all = try await poll("1,000 services to have an address", within: .seconds(60),
                                         abortIf: { try cluster.requireRunning() },
                                         observe: { cluster.allIngress() },
                                         until: { all in names.allSatisfy { all[$0]?.count == 1 } },
                                         describe: { all in
                                             "\(names.filter { all[$0]?.count == 1 }.count) of 1000 have one address"
                                         })
                let addresses = names.compactMap { all[$0]?.first }
                #expect(Set(addresses).count == 1000, "addresses given twice: \(duplicates(addresses))")
                let outside = addresses.filter { !$0.hasPrefix("10.200.") }
                #expect(outside.isEmpty, "addresses outside 10.200.0.0/22: \(outside.prefix(10))")
                try await poll("every service to have ip-allocated-from-pool big", within: KubeCluster.wait,
                               observe: { names.filter { cluster.allocatedPool($0) != "big" } },
                               until: { $0.isEmpty }, describe: { "\($0.count) without it, e.g. \($0.prefix(5))" })
            }
        }
    }
}

/// The values that occur more than once, with their counts.
func duplicates(_ values: [String]) -> [String: Int] {
    Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +).filter { $0.value > 1 }
}
