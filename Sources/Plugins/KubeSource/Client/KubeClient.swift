// KubeClient: the Kubernetes REST client on AsyncHTTPClient and swift-nio-ssl: TLS with the cluster's CA (or a
// client certificate), a bearer token per request, JSON in and out, Status errors mapped to KubeError.
//
// Client/ holds the way lbd talks to the API server; Kubernetes object types live in Mapping/.
//   KubeConfiguration(+InCluster, +Kubeconfig)  where the server is and how to authenticate; KubeConfigError
//   TokenSource        the bearer token, re-read from its file when a minute old (rotation)
//   KubeClient         get/list/create/update/merge-patch/status/delete/watch; KubeError and KubeStatus for failures
//   LineBuffer         watch bodies split into JSON lines; WatchDecoding: list pages and watch lines, lossy per object
//   InformerStateMachine  the list-then-watch protocol as a pure struct; Informer its async shell
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A client for one Kubernetes API server.
///
/// Paths are API paths such as `/api/v1/namespaces/default/services`; they may carry a query already
/// (`?labelSelector=…`). Every method returns the raw JSON bytes, or decodes them into a `Decodable`; an error
/// status throws a ``KubeError``. Call ``shutdown()`` before releasing the client (AsyncHTTPClient traps in debug
/// builds otherwise). Up to 64 connections are kept to the server, so many informers can each hold a watch.
public final class KubeClient: Sendable {
    /// The configuration this client was built from.
    public let configuration: KubeConfiguration
    /// The deadline for each request until the response head arrives.
    public let requestTimeout: Duration
    let http: HTTPClient
    private let tokens: TokenSource

    /// The largest response body read into memory (a list page, an object).
    public static let maximumBodySize = 256 << 20

    /// Creates a client; no connection is made yet.
    ///
    /// - Throws: an error when the CA bundle, client certificate or key is not valid PEM.
    public init(configuration: KubeConfiguration, requestTimeout: Duration = .seconds(30),
                tokenMaximumAge: Duration = .seconds(60)) throws {
        self.configuration = configuration
        self.requestTimeout = requestTimeout
        self.tokens = TokenSource(configuration.token, maximumAge: tokenMaximumAge)
        var tls = TLSConfiguration.makeClientConfiguration()
        // A cancelled watch closes its connection; do not wait long for the server's close_notify.
        tls.shutdownTimeout = .seconds(1)
        if configuration.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let ca = configuration.certificateAuthorityPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
        }
        if let client = configuration.clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(client.certificatePEM).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: client.keyPEM, format: .pem))
        }
        var http = HTTPClient.Configuration(tlsConfiguration: tls)
        // Watches hold a connection each; the read timeout is left to the informer's silence detection.
        http.timeout = .init(connect: .seconds(10), read: nil)
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        http.decompression = .disabled
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    /// Closes the connections; the client cannot be used afterwards.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: Verbs

    /// `GET path`: the object's JSON.
    public func get(_ path: String) async throws -> [UInt8] {
        try await send(.GET, verb: "GET", path: path)
    }

    /// `GET path` decoded as `T`.
    public func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try Self.decode(T.self, from: try await get(path))
    }

    /// One page of a list: `GET path?limit=&continue=`; the JSON of the `…List` object.
    public func list(_ path: String, limit: Int? = nil, continue token: String? = nil) async throws -> [UInt8] {
        var query: [(String, String)] = []
        if let limit { query.append(("limit", String(limit))) }
        if let token { query.append(("continue", token)) }
        return try await send(.GET, verb: "LIST", path: path, query: query)
    }

    /// `POST path` with `body` (JSON): the created object's JSON.
    public func create(_ path: String, body: [UInt8]) async throws -> [UInt8] {
        try await send(.POST, verb: "POST", path: path, body: body, contentType: "application/json")
    }

    /// `PUT path` with `body` (JSON, carrying the `resourceVersion` read): the updated object's JSON.
    public func update(_ path: String, body: [UInt8]) async throws -> [UInt8] {
        try await send(.PUT, verb: "PUT", path: path, body: body, contentType: "application/json")
    }

    /// `PATCH path` with a JSON merge patch (RFC 7386): the patched object's JSON.
    public func mergePatch(_ path: String, body: [UInt8]) async throws -> [UInt8] {
        try await send(.PATCH, verb: "PATCH", path: path, body: body, contentType: "application/merge-patch+json")
    }

    /// `PATCH path/status` with a JSON merge patch: the status subresource of the object at `path`.
    public func statusPatch(_ path: String, body: [UInt8]) async throws -> [UInt8] {
        try await mergePatch(path + "/status", body: body)
    }

    /// `PUT path/status` with the whole object (carrying its `resourceVersion`): the status subresource.
    public func statusUpdate(_ path: String, body: [UInt8]) async throws -> [UInt8] {
        try await update(path + "/status", body: body)
    }

    /// `DELETE path`: the server's answer (the object or a Status).
    public func delete(_ path: String) async throws -> [UInt8] {
        try await send(.DELETE, verb: "DELETE", path: path)
    }

    /// Encodes `value` as JSON for a request body.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        [UInt8](try JSONEncoder().encode(value))
    }

    /// Decodes JSON bytes as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    // MARK: Watch

    /// Starts `GET path?watch=true&resourceVersion=…&allowWatchBookmarks=true&timeoutSeconds=…` and returns its
    /// body as JSON lines, one watch event each.
    ///
    /// - Throws: ``KubeError`` when the server refuses the watch (410 for a too-old version, 429, …).
    public func watch(_ path: String, resourceVersion: String?, timeoutSeconds: Int? = nil,
                      allowBookmarks: Bool = true) async throws -> WatchLines {
        var query: [(String, String)] = [("watch", "true")]
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        let response = try await start(.GET, verb: "WATCH", path: path, query: query, body: nil, contentType: nil)
        return WatchLines(body: response.body)
    }

    /// A watch response's body as JSON lines.
    public struct WatchLines: AsyncSequence, Sendable {
        /// One JSON line.
        public typealias Element = [UInt8]
        let body: HTTPClientResponse.Body

        /// Iterates the lines.
        public func makeAsyncIterator() -> Iterator {
            Iterator(body: body.makeAsyncIterator())
        }

        /// Iterates the lines of a watch body.
        public struct Iterator: AsyncIteratorProtocol {
            var body: HTTPClientResponse.Body.AsyncIterator
            var buffer = LineBuffer()

            /// The next line, or nil at the end of the stream.
            public mutating func next() async throws -> [UInt8]? {
                while true {
                    if let line = try buffer.nextLine() { return line }
                    guard let chunk = try await body.next() else { return nil }
                    buffer.append(chunk.readableBytesView)
                }
            }
        }
    }

    // MARK: Plumbing

    private func send(_ method: HTTPMethod, verb: String, path: String, query: [(String, String)] = [],
                      body: [UInt8]? = nil, contentType: String? = nil) async throws -> [UInt8] {
        let response = try await start(method, verb: verb, path: path, query: query, body: body,
                                       contentType: contentType)
        let bytes = try await response.body.collect(upTo: Self.maximumBodySize)
        return Array(bytes.readableBytesView)
    }

    /// Sends the request and returns the response once its head says success; an error status becomes a
    /// ``KubeError``.
    private func start(_ method: HTTPMethod, verb: String, path: String, query: [(String, String)],
                       body: [UInt8]?, contentType: String?) async throws -> HTTPClientResponse {
        let target = Self.target(path, query: query)
        var request = HTTPClientRequest(url: configuration.server + target)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "lbd")
        if let token = try tokens.current() {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: .nanoseconds(requestTimeout.nanoseconds))
        guard (200..<300).contains(Int(response.status.code)) else {
            if response.status == .unauthorized { tokens.invalidate() }
            let errorBody = try await response.body.collect(upTo: 1 << 20)
            throw KubeStatus.error(code: Int(response.status.code), phrase: response.status.reasonPhrase,
                                   body: Array(errorBody.readableBytesView),
                                   retryAfterHeader: response.headers.first(name: "Retry-After"),
                                   verb: verb, path: target)
        }
        return response
    }

    /// `path` with `query` appended (after any query the path already has), values percent-encoded.
    static func target(_ path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return path }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+;#")
        let encoded = query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        return path + (path.contains("?") ? "&" : "?") + encoded.joined(separator: "&")
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
