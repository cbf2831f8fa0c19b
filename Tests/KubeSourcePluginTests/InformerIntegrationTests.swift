// InformerIntegrationTests: KubeClient and Informer against the in-process KubeTestServer (TLS, its own CA, a
// bearer token): CRUD and errors, then an informer through dropped watches, lost history, 429s, a restart and a
// silent watch.
import Foundation
@testable import KubeSourcePlugin
import KubeTestServer
import Logging
import NIOSSL
import Synchronization
import Testing

/// The parts of a Service these tests read.
struct TestService: KubeObject, Equatable {
    static let kind = "Service"
    var metadata: ObjectMeta
    var spec: Spec

    struct Spec: Decodable, Equatable, Sendable {
        var type: String
        var ports: [Port]?
    }

    struct Port: Decodable, Equatable, Sendable {
        var port: Int
    }
}

/// A running test server and a client for it; `close()` shuts both down.
struct ServerFixture {
    let server: KubeTestServer
    let client: KubeClient

    init(bookmarkInterval: Duration = .seconds(1)) async throws {
        server = try KubeTestServer(tokens: ["t0ken": .full, "reader": .readOnly], bookmarkInterval: bookmarkInterval)
        try await server.start()
        let configuration = KubeConfiguration(server: server.url, certificateAuthorityPEM: Array(server.caPEM.utf8),
                                              token: .literal("t0ken"))
        client = try KubeClient(configuration: configuration, requestTimeout: .seconds(10))
    }

    func close() async {
        try? await client.shutdown()
        await server.shutdown()
    }

    func createService(_ name: String, port: Int64 = 80, namespace: String = "default") throws {
        _ = try server.create(.services, namespace: namespace, [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["type": "LoadBalancer", "ports": [["port": .int(port), "protocol": "TCP"]]],
        ])
    }

    /// The list requests (not watches) for `path` the server has seen.
    func lists(_ path: String = "/api/v1/services") -> Int {
        server.requestLog.filter { $0.hasPrefix("GET \(path)") && !$0.contains("watch=") }.count
    }

    /// The watch requests for `path` the server has seen.
    func watches(_ path: String = "/api/v1/services") -> Int {
        server.requestLog.filter { $0.hasPrefix("GET \(path)") && $0.contains("watch=true") }.count
    }

    /// Creates Service default/a, starts an informer on Services with `options`, and returns it once it has
    /// listed a and opened its watch: the starting point of the fault tests.
    func informerWatchingA(options: Informer<TestService>.Options = fastInformer) async throws
        -> RunningInformer<TestService> {
        try createService("a")
        let running = RunningInformer<TestService>(client: client, path: "/api/v1/services", options: options)
        try await running.waitUntil("a is listed") { $0["default/a"] != nil }
        try await eventually("the watch is open") { watches() == 1 }
        return running
    }
}

/// Runs an informer and keeps its latest snapshot and problems for polling with a deadline.
final class RunningInformer<Object: KubeObject>: Sendable {
    let informer: Informer<Object>
    let latest = Mutex<(count: Int, objects: [String: Object])>((0, [:]))
    let problemLog = ProblemLog()
    private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

    /// The objects reported as undecodable so far.
    var problems: [KubeObjectProblem] { problemLog.problems.withLock { $0 } }

    init(client: KubeClient, path: String, options: Informer<Object>.Options) {
        let log = problemLog
        informer = Informer(client: client, path: path, options: options, logger: Logger(label: "test.informer"),
                            onProblem: { problem in log.problems.withLock { $0.append(problem) } })
        let run = Task { [informer] in _ = try? await informer.run() }
        let collect = Task { [self] in
            for await snapshot in informer.snapshots {
                latest.withLock { $0 = ($0.count + 1, snapshot) }
            }
        }
        tasks.withLock { $0 = [run, collect] }
    }

    /// Waits (polling, at most `timeout`) until `condition` holds for the latest snapshot.
    func waitUntil(_ what: String, timeout: Duration = .seconds(30),
                   _ condition: @Sendable ([String: Object]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(latest.withLock { $0.objects }) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting until \(what); latest: \(latest.withLock { $0.objects.keys.sorted() })")
        throw CancellationError()
    }

    func stop() async {
        let tasks = self.tasks.withLock { $0 }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}

/// The problems an informer reported.
final class ProblemLog: Sendable {
    let problems = Mutex<[KubeObjectProblem]>([])
}

/// Waits (polling, at most `timeout`) until `condition` holds.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting until \(what)")
    throw CancellationError()
}

let fastInformer = Informer<TestService>.Options(
    machine: .init(backoffBase: .milliseconds(50), backoffMaximum: .seconds(2), jitter: 0.2,
                   silenceLimit: .seconds(3), publishInterval: .milliseconds(5), minimumWatchDuration: .zero),
    pageSize: 2, watchTimeoutSeconds: 60, tickInterval: .milliseconds(50))

@Suite("Client and informer against KubeTestServer", .serialized)
struct InformerIntegrationTests {
    @Test("create, get, list in pages, merge-patch, status patch, update conflict, delete, not found")
    func crud() async throws {
        let fixture = try await ServerFixture()
        let client = fixture.client
        let collection = "/api/v1/namespaces/default/services"
        for name in ["a", "b", "c"] {
            let body = bytes(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)"},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}"#)
            _ = try await client.create(collection, body: body)
        }
        let a = try await client.get(collection + "/a", as: TestService.self)
        #expect(a.metadata.name == "a" && a.spec.type == "LoadBalancer")

        let all = try await client.listAll("/api/v1/services", as: TestService.self, pageSize: 1)
        #expect(all.items.keys.sorted() == ["default/a", "default/b", "default/c"])
        #expect(!all.resourceVersion.isEmpty && all.problems.isEmpty)
        #expect(fixture.lists() == 3, "one request per page of one: \(fixture.server.requestLog)")

        let patched = try KubeClient.decode(TestService.self, from: try await client.mergePatch(
            collection + "/a", body: bytes(#"{"spec":{"ports":[{"port":8080}]}}"#)))
        #expect(patched.spec.ports == [TestService.Port(port: 8080)])

        _ = try await client.statusPatch(collection + "/a",
                                         body: bytes(#"{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}"#))
        let stored = try #require(fixture.server.object(.services, namespace: "default", name: "a"))
        #expect(stored[path: ["status", "loadBalancer", "ingress"]]?.arrayValue?.first?["ip"]?.stringValue
                == "192.0.2.1")

        let stale = bytes(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"default","resourceVersion":"\#(a.metadata.resourceVersion ?? "")"},"spec":{"type":"ClusterIP"}}"#)
        let conflict = try await #require(throws: KubeError.self) { try await client.update(collection + "/a", body: stale) }
        #expect(conflict.code == 409 && conflict.isConflict && conflict.verb == "PUT")
        #expect(conflict.path == collection + "/a")

        _ = try await client.delete(collection + "/b")
        let missing = try await #require(throws: KubeError.self) { try await client.get(collection + "/b") }
        #expect(missing.code == 404 && missing.reason == "NotFound" && missing.verb == "GET")
        #expect(missing.description.contains("/api/v1/namespaces/default/services/b"))
        await fixture.close()
    }

    @Test("a wrong token is 401; a read-only token is 403 on writes; an unknown CA fails the handshake")
    func authentication() async throws {
        let fixture = try await ServerFixture()
        let ca = Array(fixture.server.caPEM.utf8)
        let wrong = try KubeClient(configuration: KubeConfiguration(server: fixture.server.url,
                                                                     certificateAuthorityPEM: ca, token: .literal("no")))
        let reader = try KubeClient(configuration: KubeConfiguration(server: fixture.server.url,
                                                                      certificateAuthorityPEM: ca,
                                                                      token: .literal("reader")))
        // AsyncHTTPClient retries a failed handshake until the request's deadline; keep it short.
        let untrusting = try KubeClient(configuration: KubeConfiguration(
            server: fixture.server.url, certificateAuthorityPEM: try kubeconfigFixtureBytes("ca.crt"),
            token: .literal("t0ken")), requestTimeout: .seconds(5))
        let unauthorized = await #expect(throws: KubeError.self) { try await wrong.get("/api/v1/services") }
        #expect(unauthorized?.code == 401)
        _ = try await reader.list("/api/v1/services")
        let forbidden = await #expect(throws: KubeError.self) {
            try await reader.create("/api/v1/namespaces/default/services", body: bytes("{}"))
        }
        #expect(forbidden?.code == 403)
        let handshake = await #expect(throws: NIOSSLError.self) { try await untrusting.get("/api/v1/services") }
        #expect("\(handshake.map { "\($0)" } ?? "")".contains("CERTIFICATE_VERIFY_FAILED"))
        for client in [wrong, reader, untrusting] { try await client.shutdown() }
        await fixture.close()
    }

    @Test("after a 401 the token file is read again at once (a rotated token), not after a minute")
    func rotatedTokenAfter401() async throws {
        let server = try KubeTestServer(tokens: ["new-token": .full])
        try await server.start()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token"
        try "old-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        let client = try KubeClient(configuration: KubeConfiguration(
            server: server.url, certificateAuthorityPEM: Array(server.caPEM.utf8), token: .file(path)),
            tokenMaximumAge: .seconds(3600))
        let refused = await #expect(throws: KubeError.self) { try await client.list("/api/v1/services") }
        #expect(refused?.code == 401)
        try "new-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        _ = try await client.list("/api/v1/services")
        try await client.shutdown()
        await server.shutdown()
    }

    @Test("the informer lists, watches, sees creations, changes and deletions, and skips an undecodable object")
    func informer() async throws {
        let fixture = try await ServerFixture()
        try fixture.createService("a")
        let running = RunningInformer<TestService>(client: fixture.client, path: "/api/v1/services",
                                                   options: fastInformer)
        try await running.waitUntil("a is listed") { $0.keys.sorted() == ["default/a"] }
        try fixture.createService("b", namespace: "other")
        try await running.waitUntil("b is seen") { $0["other/b"] != nil }
        _ = try fixture.server.patch(.services, namespace: "default", name: "a", ["spec": ["ports": [["port": 443]]]])
        try await running.waitUntil("a's port changes") { $0["default/a"]?.spec.ports?.first?.port == 443 }
        _ = try fixture.server.delete(.services, namespace: "other", name: "b")
        try await running.waitUntil("b is gone") { $0.keys.sorted() == ["default/a"] }
        _ = try fixture.server.create(.services, namespace: "default", [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": "bad", "namespace": "default"],
            "spec": ["type": "LoadBalancer", "ports": [["port": "eighty"]]],
        ])
        try await eventually("bad is reported") { !running.problems.isEmpty }
        let problem = try #require(running.problems.first)
        #expect(problem.kind == "Service" && problem.namespace == "default" && problem.name == "bad")
        #expect(problem.field == "spec.ports[0].port")
        try fixture.createService("c")
        try await running.waitUntil("c is seen after the bad one") { $0.keys.sorted() == ["default/a", "default/c"] }
        #expect(fixture.lists() == 1)
        await running.stop()
        await fixture.close()
    }

    @Test("dropped watches resume from the last resourceVersion without a relist")
    func dropResumes() async throws {
        let fixture = try await ServerFixture()
        let running = try await fixture.informerWatchingA()
        for round in 0..<3 {
            fixture.server.dropWatches()
            try fixture.createService("dropped-\(round)")
            try await running.waitUntil("dropped-\(round) is seen") { $0["default/dropped-\(round)"] != nil }
        }
        #expect(fixture.lists() == 1, "\(fixture.server.requestLog)")
        #expect(fixture.watches() >= 2)
        await running.stop()
        await fixture.close()
    }

    @Test("lost history and a dropped watch relist (410 Gone); a restarted server's lost objects disappear")
    func goneRelists() async throws {
        let fixture = try await ServerFixture()
        let running = try await fixture.informerWatchingA()
        // The resumed watch is answered only after the history is gone (the delay makes the order certain).
        fixture.server.delayResponses(.milliseconds(300))
        fixture.server.dropWatches()
        try fixture.createService("b")
        fixture.server.forgetHistory()
        try await running.waitUntil("b is seen") { $0.keys.sorted() == ["default/a", "default/b"] }
        fixture.server.delayResponses(.zero)
        #expect(fixture.lists() == 2, "relisted once")

        fixture.server.delayResponses(.milliseconds(300))
        fixture.server.restart()
        try fixture.createService("after-restart")
        fixture.server.forgetHistory()
        try await running.waitUntil("only the object created after the restart remains") {
            $0.keys.sorted() == ["default/after-restart"]
        }
        fixture.server.delayResponses(.zero)
        #expect(fixture.lists() >= 3)
        await running.stop()
        await fixture.close()
    }

    @Test("429 with Retry-After backs off (at least the second asked) and then succeeds")
    func throttled() async throws {
        let fixture = try await ServerFixture()
        try fixture.createService("a")
        fixture.server.failNext(count: 1, status: 429)
        let started = ContinuousClock.now
        let running = RunningInformer<TestService>(client: fixture.client, path: "/api/v1/services",
                                                   options: fastInformer)
        try await running.waitUntil("a is listed after the 429") { $0["default/a"] != nil }
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(fixture.lists() == 2)
        fixture.server.failNext(count: 2, status: 503)
        fixture.server.dropWatches()
        try fixture.createService("b")
        try await running.waitUntil("b is seen after two 503s") { $0["default/b"] != nil }
        await running.stop()
        await fixture.close()
    }

    @Test("a stalled watch is noticed by its silence and resumed")
    func silence() async throws {
        let fixture = try await ServerFixture(bookmarkInterval: .milliseconds(200))
        var options = fastInformer
        options.machine.silenceLimit = .milliseconds(800)
        let running = try await fixture.informerWatchingA(options: options)
        fixture.server.stallWatches(for: .seconds(60))
        try fixture.createService("b")
        try await running.waitUntil("b is seen through a new watch", timeout: .seconds(30)) { $0["default/b"] != nil }
        #expect(fixture.watches() == 2)
        #expect(fixture.lists() == 1)
        await running.stop()
        await fixture.close()
    }
}
