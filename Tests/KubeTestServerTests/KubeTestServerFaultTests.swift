import Foundation
import KubeTestServer
import NIOHTTP1
import Testing

/// The faults tests inject: dropped and stalled watches, 429/500 answers, delays, restarts.
@Suite struct KubeTestServerFaultTests {
    static let services = KubeTestServerTests.services

    @Test func dropWatchesEndsEveryStream() async throws {
        try await KubeTestServerTests.withServer { server, client in
            let one = try await client.watch(Self.services + "?watch=true")
            let two = try await client.watch("/api/v1/nodes?watch=true")
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            _ = try await one.waitForEvents(1)
            server.dropWatches()
            _ = try await one.waitForEnd()
            _ = try await two.waitForEnd()
            // New watches work.
            let three = try await client.watch(Self.services + "?watch=true")
            defer { three.cancel() }
            #expect(try await three.waitForEvents(1) == ["ADDED a"])
        }
    }

    @Test func stalledWatchesSendNothingThenClose() async throws {
        try await KubeTestServerTests.withServer { server, client in
            // No bookmarks on this watch: one sent before the stall (a loaded machine may take a bookmark interval
            // to get from here to stallWatches) would look like a leak through the stall.
            let stalled = try await client.watch(Self.services + "?watch=true"
                                                     + "&resourceVersion=\(server.resourceVersion)")
            let clock = ContinuousClock(), start = clock.now
            server.stallWatches(for: .seconds(1))
            let fresh = try await client.watch(Self.services + "?watch=true&resourceVersion=\(server.resourceVersion)")
            defer { fresh.cancel() }
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            #expect(try await fresh.waitForEvents(1) == ["ADDED a"])
            _ = try await stalled.waitForEnd(within: .seconds(30))
            #expect(clock.now - start >= .milliseconds(900))
            #expect(stalled.events.isEmpty, "a stalled watch sent \(stalled.summary)")
        }
    }

    @Test(arguments: [429, 500, 503])
    func failNextAnswersWithTheStatus(status: Int) async throws {
        try await KubeTestServerTests.withServer { server, client in
            server.failNext(count: 2, status: status)
            for _ in 0..<2 {
                let failed = try await client.send(.GET, Self.services)
                #expect(failed.status == status)
                #expect(failed.body?["kind"] == "Status")
                #expect(failed.body?["code"] == .int(Int64(status)))
                #expect(failed.headers.first(name: "Retry-After") == (status == 429 ? "1" : nil))
            }
            #expect(try await client.send(.GET, Self.services).status == 200)
        }
    }

    @Test func failNextCanAimAtStatusWrites() async throws {
        try await KubeTestServerTests.withServer { server, client in
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            server.failNext(count: 1, status: 409, method: "PATCH", pathContaining: "/status")
            let patch: JSONValue = ["status": ["loadBalancer": ["ingress": [["ip": "192.0.2.1"]]]]]
            #expect(try await client.send(.GET, Self.services + "/a").status == 200)
            #expect(try await client.send(.PATCH, Self.services + "/a", ["metadata": ["labels": ["x": "y"]]],
                                          contentType: "application/merge-patch+json").status == 200)
            let conflict = try await client.send(.PATCH, Self.services + "/a/status", patch,
                                                 contentType: "application/merge-patch+json")
            #expect(conflict.status == 409)
            #expect(conflict.body?["reason"] == "Conflict")
            let retried = try await client.send(.PATCH, Self.services + "/a/status", patch,
                                                contentType: "application/merge-patch+json")
            #expect(retried.status == 200)
            #expect(server.object(.services, namespace: "default", name: "a")?[path: ["status", "loadBalancer"]]
                        == patch[path: ["status", "loadBalancer"]])
        }
    }

    @Test func delayResponsesDelaysEveryAnswer() async throws {
        try await KubeTestServerTests.withServer { server, client in
            server.delayResponses(.milliseconds(300))
            let clock = ContinuousClock()
            let elapsed = try await clock.measure { _ = try await client.send(.GET, Self.services) }
            #expect(elapsed >= .milliseconds(300))
            server.delayResponses(.zero)
            #expect(try await client.send(.GET, Self.services).status == 200)
        }
    }

    @Test func restartLosesStateAndKeepsResourceVersionsIncreasing() async throws {
        try await KubeTestServerTests.withServer { server, client in
            let a = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            let before = Int(KubeTestServerWatchTests.version(a.body)) ?? 0
            let watch = try await client.watch(Self.services + "?watch=true&resourceVersion=\(before)")
            server.restart()
            _ = try await watch.waitForEnd()
            #expect(try await client.send(.GET, Self.services + "/a").status == 404)
            let list = try await client.send(.GET, Self.services)
            #expect(list.body?["items"]?.arrayValue?.isEmpty == true)
            let resumed = try await client.watch(Self.services + "?watch=true&resourceVersion=\(before)")
            let error = try await resumed.next("an ERROR event") { $0["type"] == "ERROR" }
            #expect(error[path: ["object", "code"]] == 410)
            let b = try await client.send(.POST, Self.services, KubeTestServerTests.service("b"))
            #expect((Int(KubeTestServerWatchTests.version(b.body)) ?? 0) > before)
        }
    }
}
