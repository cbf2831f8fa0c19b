import AsyncHTTPClient
import Foundation
import KubeTestServer
import LabKit
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A tiny Kubernetes client for the tests: AsyncHTTPClient over TLS trusting the server's CA, with a bearer token.
struct APITestClient {
    let client: HTTPClient
    let base: String
    let token: String?

    /// A client of `server` that trusts its CA.
    init(_ server: KubeTestServer, token: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(server.caPEM.utf8), format: .pem)])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        base = server.url
        self.token = token
    }

    func shutdown() async { try? await client.shutdown() }

    /// Sends a request and returns the status, the JSON body (nil when empty or not JSON) and the headers.
    func send(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil,
              contentType: String = "application/json") async throws -> (status: Int, body: JSONValue?,
                                                                         headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body.bytes))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try? JSONValue.parse(Array(bytes.readableBytesView)), response.headers)
    }

    /// Opens a watch and collects its events in the background.
    func watch(_ path: String) async throws -> WatchRecorder {
        var request = HTTPClientRequest(url: base + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(10))
        let recorder = WatchRecorder(status: Int(response.status.code))
        recorder.task.withLock {
            $0 = Task {
                var pending: [UInt8] = []
                do {
                    for try await chunk in response.body {
                        pending += chunk.readableBytesView
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = try JSONValue.parse(pending[..<newline])
                            pending.removeSubrange(...newline)
                            recorder.state.withLock { $0.events.append(line) }
                        }
                    }
                    recorder.state.withLock { $0.end = "end of stream" }
                } catch {
                    recorder.state.withLock { $0.end = "\(error)" }
                }
            }
        }
        return recorder
    }
}

/// The events of one watch, as they arrive, and how the stream ended.
final class WatchRecorder: Sendable {
    let status: Int
    let state = Mutex<(events: [JSONValue], end: String?)>(([], nil))
    let task = Mutex<Task<Void, Never>?>(nil)

    init(status: Int) { self.status = status }

    var events: [JSONValue] { state.withLock { $0.events } }
    var end: String? { state.withLock { $0.end } }

    /// The event types and object names so far: `ADDED a`, `BOOKMARK`, …
    var summary: [String] {
        events.map { event in
            let type = event["type"]?.stringValue ?? "?"
            guard type != "BOOKMARK", let name = event[path: ["object", "metadata", "name"]]?.stringValue else {
                return type
            }
            return "\(type) \(name)"
        }
    }

    /// Waits (bounded) for an event that `predicate` accepts.
    @discardableResult
    func next(_ what: String, within limit: Duration = .seconds(30),
              where predicate: @escaping (JSONValue) -> Bool) async throws -> JSONValue {
        try await poll(what, within: limit, every: .milliseconds(10),
                       observe: { events.first(where: predicate) }, until: { $0 != nil },
                       describe: { _ in "\(self.summary), end: \(self.end ?? "open")" })!
    }

    /// Waits (bounded) for `count` events.
    func waitForEvents(_ count: Int, within limit: Duration = .seconds(30)) async throws -> [String] {
        try await poll("\(count) watch events", within: limit, every: .milliseconds(10),
                       observe: { summary }, until: { $0.count >= count })
    }

    /// Waits (bounded) for the stream to end and says how.
    func waitForEnd(within limit: Duration = .seconds(30)) async throws -> String {
        try await poll("the watch to end", within: limit, every: .milliseconds(10)) { end }
    }

    func cancel() { task.withLock { $0?.cancel() } }
}
