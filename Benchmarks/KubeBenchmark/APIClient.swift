import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One answer of the API server, with the instant its last byte was read.
struct APIResponse: Sendable {
    /// The HTTP status code.
    var status: Int
    /// The body.
    var body: [UInt8]
    /// When the end of the response was read.
    var received: ContinuousClock.Instant

    /// The body as text, for error messages.
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A TLS connection to the API server carrying HTTP/1.1 parts.
typealias APIChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

/// A small HTTPS client for the API test server that talks to it as a real client does: HTTP/1.1 keep-alive
/// connections over TLS (trusting the server's CA, checking its certificate) with a bearer token.
struct APIClient: Sendable {
    /// The server's address.
    let host: String
    /// The server's port.
    let port: Int
    /// The bearer token.
    let token: String
    private let tls: NIOSSLContext

    /// A client for `host`:`port` trusting `caPEM`.
    init(host: String, port: Int, token: String, caPEM: String) throws {
        self.host = host
        self.port = port
        self.token = token
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        tls = try NIOSSLContext(configuration: configuration)
    }

    /// Opens a connection (TCP and TLS handshake done when it returns).
    func connect() async throws -> APIChannel {
        let tls = self.tls
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // No host name: the certificate is checked against the IP address connected to (its SAN).
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls,
                                                                                       serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try APIChannel(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Runs `body` with an open connection, which is closed afterwards.
    func withConnection<Result>(_ channel: APIChannel? = nil,
                                _ body: (inout APIConnection) async throws -> Result) async throws -> Result {
        let channel = if let channel { channel } else { try await connect() }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = APIConnection(client: self, inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }
}

/// An open keep-alive connection: one request at a time.
struct APIConnection {
    let client: APIClient
    var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    /// Sends a request: `body` (JSON) when given.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil,
              contentType: String = "application/json") async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(client.host):\(client.port)")
        headers.add(name: "Authorization", value: "Bearer \(client.token)")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "lbd-kube-bench")
        if let body {
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.count))
        }
        var parts: [HTTPClientRequestPart] = [.head(HTTPRequestHead(version: .http1_1, method: method, uri: path,
                                                                    headers: headers))]
        if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }

    /// The next part of the response being read, or nil when the connection closed.
    mutating func next() async throws -> HTTPClientResponsePart? { try await inbound.next() }

    /// Watches `path` (a `?watch=true` URL): `started` is called once the server answered 200, then `handle` gets
    /// every event line with the instant its bytes were read, until the stream ends or the task is cancelled.
    mutating func watch(_ path: String, started: () -> Void,
                        handle: (ArraySlice<UInt8>, ContinuousClock.Instant) -> Void) async throws {
        try await send(.GET, path)
        var pending: [UInt8] = []
        while let part = try await next() {
            switch part {
            case .head(let head):
                guard head.status == .ok else { throw BenchError("the watch \(path) answered \(head.status)") }
                started()
            case .body(let buffer):
                let instant = ContinuousClock.now
                pending += buffer.readableBytesView
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    handle(pending[start..<newline], instant)
                    start = newline + 1
                }
                pending.removeSubrange(..<start)
            case .end:
                return
            }
        }
    }

    /// Sends a request and reads the whole response.
    mutating func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> APIResponse {
        try await send(method, path, body: body)
        var status = 0
        var bytes: [UInt8] = []
        while let part = try await next() {
            switch part {
            case .head(let head): status = Int(head.status.code)
            case .body(let buffer): bytes += buffer.readableBytesView
            case .end: return APIResponse(status: status, body: bytes, received: .now)
            }
        }
        throw BenchError("the API server closed the connection during \(method) \(path)")
    }
}

/// Something the benchmark could not do.
struct BenchError: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String

    init(_ description: String) { self.description = description }
}
