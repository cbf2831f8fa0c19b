import Foundation
import KubeTestServer
import NIOHTTP1
import Testing

/// Volume and consistency: many concurrent writers, paged lists, expired continue tokens.
@Suite struct KubeTestServerLoadTests {
    @Test func aThousandConcurrentCreatesGetDistinctIncreasingVersions() async throws {
        try await KubeTestServerTests.withServer { server, client in
            let versions = try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var versions: [Int] = []
                        for index in stride(from: worker, to: 1000, by: 8) {
                            let created = try await client.send(.POST, KubeTestServerTests.services,
                                                                KubeTestServerTests.service("s\(index)"))
                            versions.append(Int(KubeTestServerWatchTests.version(created.body)) ?? -1)
                        }
                        return versions
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(Set(versions).count == 1000)
            #expect(versions.max() == server.resourceVersion)
            var count = 0, token = ""
            for _ in 0..<10 {
                let page = try await client.send(.GET, KubeTestServerTests.services + "?limit=300" + token)
                count += page.body?["items"]?.arrayValue?.count ?? 0
                guard let next = page.body?[path: ["metadata", "continue"]]?.stringValue else { break }
                token = "&continue=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            }
            #expect(count == 1000)
        }
    }

    @Test func anExpiredContinueTokenGets410() async throws {
        try await KubeTestServerTests.withServer { server, client in
            for name in ["a", "b", "c"] {
                _ = try await client.send(.POST, KubeTestServerTests.services, KubeTestServerTests.service(name))
            }
            let page = try await client.send(.GET, KubeTestServerTests.services + "?limit=1")
            let next = try #require(page.body?[path: ["metadata", "continue"]]?.stringValue)
            _ = try await client.send(.POST, KubeTestServerTests.services, KubeTestServerTests.service("d"))
            server.forgetHistory()
            let expired = try await client.send(.GET, KubeTestServerTests.services + "?limit=1&continue="
                + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            #expect(expired.status == 410)
            #expect(expired.body?["reason"] == "Expired")
        }
    }
}
