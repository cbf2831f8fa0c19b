// KubeTestServer: a Kubernetes API test server for lbd's tests (issue 5), started in-process.
//
// KubeTestServer.swift       the server: start/shutdown, TLS, tokens, the state under one lock
// KubeTestServer+Routes      a request → discovery, get/list/create/update/patch/delete, or a watch
// KubeTestServer+Watch       watch streams: replay from history, live events, bookmarks, timeouts, 410 Gone
// KubeTestServer+Discovery   /api, /apis, /version, APIResourceLists
// KubeTestServer+Table       meta.k8s.io Table answers (what `kubectl get` prints)
// KubeTestServer+Faults      dropWatches, stallWatches, failNext, delayResponses, forgetHistory, restart
// KubeTestServer+Objects     direct access to the store for tests (seed and inspect objects without HTTP)
// KubeTestServer+Kubeconfig  a kubeconfig for the server (URL, CA data, token)
// OpenAPI                    the OpenAPI v3 documents kubectl needs to validate on the server
// ResourceStore              the pure store: objects, resourceVersions, history
// ResourceType               the resources served; JSONValue the documents; LabelSelector; APIError (Status)
// HTTPHandler                the NIO handler that hands whole requests to the server
// TestCertificateAuthority   the CA and server certificate generated for each server
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A Kubernetes API server for tests: TLS with its own CA, bearer tokens, an in-memory store of the resources lbd
/// uses, list/watch/create/update/patch/delete with Kubernetes semantics, and faults on request.
public final class KubeTestServer: Sendable {
    /// What a bearer token may do.
    public enum Permission: Sendable {
        /// Every verb.
        case full
        /// get, list and watch; anything else is 403 Forbidden.
        case readOnly
    }

    /// The accepted bearer tokens; empty means no authentication (every request may do everything).
    public let tokens: [String: Permission]
    /// True when the server speaks TLS (the default), false for plain HTTP.
    public let usesTLS: Bool
    /// How often watches that asked for bookmarks get one.
    public let bookmarkInterval: Duration
    /// The CA certificate (PEM) that signed the server's certificate: trust it, or put it (base64) in a kubeconfig's
    /// `certificate-authority-data`.
    public let caPEM: String
    let authority: TestCertificateAuthority
    let state: Mutex<ServerState>

    /// A server (not yet listening) with a newly generated CA.
    /// - Parameters:
    ///   - tokens: the accepted bearer tokens and what each may do; empty disables authentication.
    ///   - tls: false serves plain HTTP.
    ///   - bookmarkInterval: how often a watch with `allowWatchBookmarks=true` gets a BOOKMARK.
    ///   - historyLimit: how many changes watches can resume across (older resourceVersions get 410 Gone).
    public init(tokens: [String: Permission] = [:], tls: Bool = true, bookmarkInterval: Duration = .seconds(1),
                historyLimit: Int = 1000) throws {
        self.tokens = tokens
        self.usesTLS = tls
        self.bookmarkInterval = bookmarkInterval
        authority = try TestCertificateAuthority()
        caPEM = authority.caPEM
        state = Mutex(ServerState(store: ResourceStore(historyLimit: historyLimit)))
    }

    /// The port it listens on (0 before `start`).
    public var port: Int { state.withLock { $0.port } }

    /// `https://127.0.0.1:<port>` (or `http://` without TLS).
    public var url: String { "\(usesTLS ? "https" : "http")://\(host):\(port)" }

    var host: String { state.withLock { $0.host } }

    /// Starts listening on `host`:`port` (0 picks a free port).
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws {
        let sslContext: NIOSSLContext? = try usesTLS ? {
            let certificate = try NIOSSLCertificate(bytes: Array(authority.serverCertificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(authority.serverKeyPEM.utf8), format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)],
                                                                         privateKey: .privateKey(key))
            return try NIOSSLContext(configuration: configuration)
        }() : nil
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(server: self))
                    self.track(channel)
                }
            }
        let listener = try await bootstrap.bind(host: host, port: port).get()
        state.withLock {
            $0.listener = listener
            $0.host = host.contains(":") ? "[\(host)]" : host
            $0.port = listener.localAddress?.port ?? 0
        }
    }

    /// Stops listening and closes every connection (watches end).
    public func shutdown() async {
        let (listener, connections) = state.withLock { state in
            defer {
                state.listener = nil
                state.connections = [:]
                state.watchers = [:]
            }
            return (state.listener, Array(state.connections.values))
        }
        for connection in connections { try? await connection.close() }
        try? await listener?.close()
    }

    private func track(_ channel: any Channel) {
        let id = state.withLock { state in
            state.nextID += 1
            state.connections[state.nextID] = channel
            return state.nextID
        }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLock { _ = $0.connections.removeValue(forKey: id) }
        }
    }
}

/// Everything mutable, under the server's one lock.
struct ServerState: Sendable {
    var store: ResourceStore
    var host = "127.0.0.1"
    var port = 0
    var listener: (any Channel)?
    var connections: [Int: any Channel] = [:]
    var watchers: [Int: Watcher] = [:]
    var nextID = 0
    var failures = 0
    var failureStatus = 500
    var failureMethod: String?
    var failurePath: String?
    var delay: Duration = .zero
    var requests: [String] = []
}
