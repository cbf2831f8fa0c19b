import Foundation
import KubeTestServer
import LabKit
import NIOHTTP1
import Testing

/// Watches against the test server: replay from a resourceVersion, live events, bookmarks, 410 Gone, timeouts.
@Suite struct KubeTestServerWatchTests {
    static let services = KubeTestServerTests.services

    static func version(_ object: JSONValue?) -> String {
        object?[path: ["metadata", "resourceVersion"]]?.stringValue ?? "?"
    }

    @Test func watchFromAResourceVersionReplaysThenStreams() async throws {
        try await KubeTestServerTests.withServer { _, client in
            let a = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("b"))
            let watch = try await client.watch(Self.services + "?watch=true&resourceVersion=\(Self.version(a.body))")
            defer { watch.cancel() }
            #expect(watch.status == 200)
            #expect(try await watch.waitForEvents(1) == ["ADDED b"])
            _ = try await client.send(.PATCH, Self.services + "/a", ["metadata": ["labels": ["x": "1"]]],
                                      contentType: "application/merge-patch+json")
            _ = try await client.send(.DELETE, Self.services + "/b")
            _ = try await client.send(.POST, "/api/v1/namespaces/other/services", KubeTestServerTests.service("c"))
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("d"))
            #expect(try await watch.waitForEvents(4) == ["ADDED b", "MODIFIED a", "DELETED b", "ADDED d"])
            let versions = watch.events.compactMap { Int(Self.version($0["object"])) }
            #expect(versions == versions.sorted() && Set(versions).count == 4)
        }
    }

    @Test func watchWithoutAResourceVersionStartsWithTheCurrentObjects() async throws {
        try await KubeTestServerTests.withServer { _, client in
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("a", labels: ["app": "web"]))
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("b"))
            let watch = try await client.watch("/api/v1/services?watch=1&labelSelector=app%3Dweb")
            defer { watch.cancel() }
            #expect(try await watch.waitForEvents(1) == ["ADDED a"])
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("c", labels: ["app": "web"]))
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("d"))
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("e", labels: ["app": "web"]))
            #expect(try await watch.waitForEvents(3) == ["ADDED a", "ADDED c", "ADDED e"])
        }
    }

    @Test func aChangeAcrossTheSelectorIsAddedOrDeletedForTheWatch() async throws {
        try await KubeTestServerTests.withServer { server, client in
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("a", labels: ["app": "db"]))
            let watch = try await client.watch(Self.services + "?watch=true&labelSelector=app%3Dweb"
                                                   + "&resourceVersion=\(server.resourceVersion)")
            defer { watch.cancel() }
            // db → web (enters the selector), web → web (changes within it), web → db (leaves it).
            for (step, app) in ["web", "web", "db"].enumerated() {
                let patched = try await client.send(.PATCH, Self.services + "/a",
                                                    ["metadata": ["labels": ["app": .string(app)],
                                                                  "annotations": ["step": .string("\(step)")]]],
                                                    contentType: "application/merge-patch+json")
                #expect(patched.status == 200)
                _ = try await watch.waitForEvents(step + 1)
            }
            #expect(watch.summary == ["ADDED a", "MODIFIED a", "DELETED a"])
        }
    }

    @Test func bookmarksCarryTheCurrentResourceVersion() async throws {
        try await KubeTestServerTests.withServer { server, client in
            let a = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            let watch = try await client.watch(Self.services + "?watch=true&allowWatchBookmarks=true"
                                                   + "&resourceVersion=\(Self.version(a.body))")
            defer { watch.cancel() }
            // A write the watch does not see (another namespace) still moves the bookmarks' resourceVersion.
            let b = try await client.send(.POST, "/api/v1/namespaces/other/services", KubeTestServerTests.service("b"))
            #expect(Self.version(b.body) == String(server.resourceVersion))
            let bookmark = try await watch.next("a bookmark at b's resourceVersion") {
                $0["type"] == "BOOKMARK" && Self.version($0["object"]) == Self.version(b.body)
            }
            #expect(bookmark[path: ["object", "kind"]] == "Service")
            #expect(!watch.summary.contains { $0.hasPrefix("ADDED") })
            // Without allowWatchBookmarks there are none.
            let plain = try await client.watch(Self.services + "?watch=true&resourceVersion=\(Self.version(a.body))")
            defer { plain.cancel() }
            try await poll("a second bookmark", within: .seconds(5), every: .milliseconds(10),
                           observe: { watch.summary.filter { $0 == "BOOKMARK" }.count }, until: { $0 >= 2 })
            #expect(plain.events.isEmpty)
        }
    }

    @Test func tooOldResourceVersionGetsAnError410() async throws {
        try await KubeTestServerTests.withServer { server, client in
            let a = try await client.send(.POST, Self.services, KubeTestServerTests.service("a"))
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("b"))
            server.forgetHistory()
            let watch = try await client.watch(Self.services + "?watch=true&resourceVersion=\(Self.version(a.body))")
            #expect(watch.status == 200)
            let error = try await watch.next("an ERROR event") { $0["type"] == "ERROR" }
            #expect(error[path: ["object", "kind"]] == "Status")
            #expect(error[path: ["object", "code"]] == 410)
            #expect(error[path: ["object", "reason"]] == "Expired")
            #expect(try await watch.waitForEnd() == "end of stream")
            // From the current resourceVersion a watch works.
            let current = try await client.watch(Self.services + "?watch=true&resourceVersion=\(server.resourceVersion)")
            defer { current.cancel() }
            _ = try await client.send(.POST, Self.services, KubeTestServerTests.service("c"))
            #expect(try await current.waitForEvents(1) == ["ADDED c"])
        }
    }

    @Test func historyIsBounded() async throws {
        let server = try KubeTestServer(tls: false, historyLimit: 3)
        try await server.start()
        let client = try APITestClient(server, token: nil)
        let first = try server.create(.configMaps, namespace: "default", ["metadata": ["name": "c0"]])
        for index in 1...4 { try server.create(.configMaps, namespace: "default", ["metadata": ["name": .string("c\(index)")]]) }
        do {
            let old = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion="
                                                 + Self.version(first))
            let error = try await old.next("an ERROR event") { $0["type"] == "ERROR" }
            #expect(error[path: ["object", "code"]] == 410)
            let recent = try await client.watch("/api/v1/configmaps?watch=true&resourceVersion="
                                                    + String(server.resourceVersion - 3))
            #expect(try await recent.waitForEvents(3) == ["ADDED c2", "ADDED c3", "ADDED c4"])
        } catch {
            await server.shutdown()
            await client.shutdown()
            throw error
        }
        await server.shutdown()
        await client.shutdown()
    }

    @Test func timeoutSecondsEndsTheStreamCleanly() async throws {
        try await KubeTestServerTests.withServer { server, client in
            let watch = try await client.watch(Self.services + "?watch=true&timeoutSeconds=1"
                                                   + "&resourceVersion=\(server.resourceVersion)")
            #expect(try await watch.waitForEnd(within: .seconds(30)) == "end of stream")
        }
    }
}
