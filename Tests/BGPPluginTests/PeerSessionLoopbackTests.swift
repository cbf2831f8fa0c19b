import LBKernel
import LBKernelTestKit
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import BGPPlugin

// Support for the loopback tests of PeerSession and SessionListener: a passive session behind a listener and an
// active one connecting to it, event recorders with bounded waits, a captured log, and a fake peer.

/// A passive session behind a listener on a loopback address, and an active session that connects to it.
struct LoopbackPair: Sendable {
    static let activeAS: UInt32 = 64512
    static let passiveAS: UInt32 = 64513
    static let activeID = IPv4Address(10, 0, 0, 1)
    static let passiveID = IPv4Address(10, 0, 0, 2)

    let listener: SessionListener
    let active: PeerSession
    let passive: PeerSession
    let activeEvents: EventRecorder
    let passiveEvents: EventRecorder
    let activeLog: CapturedLog
    let passiveLog: CapturedLog

    /// The listener's port.
    func listenerPort() async throws -> Int {
        try await withTimeout(.seconds(5), waitingFor: "the listener to bind") {
            try await listener.boundAddresses().first!.port!
        }
    }

    /// Both sides' Established records.
    func waitEstablished() async throws -> (active: PeerSession.Established, passive: PeerSession.Established) {
        (try await activeEvents.waitForEstablished(), try await passiveEvents.waitForEstablished())
    }

    /// A BGPPeer for one side: `address` is the other side's, `port` its listener's.
    static func peer(name: String, myASN: UInt32, peerASN: UInt32, address: IPAddress, port: UInt16 = 179,
                     source: IPAddress? = nil, passive: Bool = false, password: String? = nil) -> BGPPeer {
        BGPPeer(name: name, myASN: myASN, peerASN: peerASN, peerAddress: address, sourceAddress: source,
                peerPort: port, holdTime: GoDuration(seconds: 3), password: password, passive: passive)
    }

    /// A session configuration with fast, unjittered retries for tests.
    static func configuration(_ peer: BGPPeer, routerID: IPv4Address, initialDelay: Duration = .milliseconds(200),
                              connectTimeout: Duration = .seconds(2), md5HintAfter: Int = 3)
        -> PeerSession.Configuration {
        var session = SessionConfiguration(peer: peer, routerID: routerID)
        session.connectRetry = ConnectRetryBackoff.Configuration(initialDelay: initialDelay,
                                                                 maximumDelay: .seconds(5), jitter: 1...1)
        return PeerSession.Configuration(peer: peer, password: peer.password, session: session,
                                         connectTimeout: connectTimeout, shutdownTimeout: .seconds(1),
                                         md5MismatchHintAfter: md5HintAfter)
    }

    /// Runs `body` with a pair on `address`; everything is cancelled (and so closed with a Cease) afterwards.
    ///
    /// `listenerPassword` is the key the listener holds for the active side; `activePassword` the one the active
    /// side signs with.
    static func run(address: IPAddress, startActive: Bool = true, listenerPassword: String? = nil,
                    activePassword: String? = nil, activeConnectTimeout: Duration = .seconds(2),
                    adjustActivePeer: @Sendable (inout BGPPeer) -> Void = { _ in },
                    _ body: @Sendable (LoopbackPair) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let activeLog = CapturedLog()
        let passiveLog = CapturedLog()
        let listener = SessionListener(configuration: .init(addresses: [address], port: 0), group: group,
                                       logger: passiveLog.logger)
        let passivePeer = peer(name: "active-side", myASN: passiveAS, peerASN: activeAS, address: address,
                               passive: true, password: listenerPassword)
        let passive = PeerSession(configuration: configuration(passivePeer, routerID: passiveID), group: group,
                                  logger: passiveLog.logger)
        await listener.setSessions([passive])
        let activeEvents = EventRecorder()
        let passiveEvents = EventRecorder()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await listener.run() }
            tasks.addTask { try await passive.run() }
            tasks.addTask { await passiveEvents.consume(passive.events) }
            let port = try await withTimeout(.seconds(5), waitingFor: "the listener to bind") {
                try await listener.boundAddresses().first!.port!
            }
            var activePeer = peer(name: "passive-side", myASN: activeAS, peerASN: passiveAS, address: address,
                                  port: UInt16(port), password: activePassword)
            adjustActivePeer(&activePeer)
            let active = PeerSession(configuration: configuration(activePeer, routerID: activeID,
                                                                  connectTimeout: activeConnectTimeout,
                                                                  md5HintAfter: 2),
                                     group: group, logger: activeLog.logger)
            if startActive {
                tasks.addTask { try await active.run() }
                tasks.addTask { await activeEvents.consume(active.events) }
            }
            let pair = LoopbackPair(listener: listener, active: active, passive: passive, activeEvents: activeEvents,
                                    passiveEvents: passiveEvents, activeLog: activeLog, passiveLog: passiveLog)
            do {
                try await body(pair)
            } catch {
                tasks.cancelAll()
                throw error
            }
            tasks.cancelAll()
        }
    }
}

/// Records a session's events and waits for them with a bound.
final class EventRecorder: Sendable {
    private let events = Mutex<[PeerSession.Event]>([])
    private let signal: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (signal, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Records every event of `stream` until it ends.
    func consume(_ stream: AsyncStream<PeerSession.Event>) async {
        for await event in stream {
            events.withLock { $0.append(event) }
            continuation.yield()
        }
    }

    var recorded: [PeerSession.Event] { events.withLock { $0 } }

    /// The down reasons so far.
    var downs: [SessionDownReason] {
        recorded.compactMap { if case .down(let reason) = $0 { reason } else { nil } }
    }

    /// The Established records so far.
    var established: [PeerSession.Established] {
        recorded.compactMap { if case .established(let info) = $0 { info } else { nil } }
    }

    /// Waits until `pick` finds something in the events.
    func wait<T: Sendable>(for what: String, within limit: Duration = .seconds(30),
                           _ pick: @escaping @Sendable ([PeerSession.Event]) -> T?) async throws -> T {
        try await withTimeout(limit, waitingFor: what) { [self] in
            if let value = pick(recorded) { return value }
            for await _ in signal {
                if let value = pick(recorded) { return value }
            }
            throw TimeoutError(waitingFor: what, limit: limit)
        }
    }

    /// Waits for the `count`th Established.
    func waitForEstablished(count: Int = 1, within limit: Duration = .seconds(30)) async throws
        -> PeerSession.Established {
        try await wait(for: "Established #\(count)", within: limit) { events in
            let all = events.compactMap { if case .established(let info) = $0 { info } else { nil } }
            return all.count >= count ? all[count - 1] : nil
        }
    }

    /// Waits for the first down.
    func waitForDown(within limit: Duration = .seconds(30)) async throws -> SessionDownReason {
        try await wait(for: "the session to go down", within: limit) { events in
            events.lazy.compactMap { if case .down(let reason) = $0 { reason } else { nil } }.first
        }
    }

    /// Waits for the first ROUTE-REFRESH.
    func waitForRouteRefresh(within limit: Duration = .seconds(30)) async throws -> AddressFamily {
        try await wait(for: "a ROUTE-REFRESH event", within: limit) { events in
            events.lazy.compactMap { if case .routeRefresh(let family) = $0 { family } else { nil } }.first
        }
    }
}

/// Log lines kept for inspection.
final class CapturedLog: Sendable {
    private let lines = Mutex<[(Logger.Level, String)]>([])

    /// A logger writing here (everything from trace up).
    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    /// The messages so far.
    var messages: [String] { lines.withLock { $0.map(\.1) } }

    func append(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.append(event.level, event.message.description)
        }
    }
}

/// A hand-driven BGP speaker on a NIO connection, decoding what it receives with ``BGPConnectionHandler``.
final class FakePeer: Sendable {
    let channel: any Channel
    private let received: Mutex<[BGPMessage]>
    private let signal: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    private init(channel: any Channel, signal: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) {
        self.channel = channel
        self.received = Mutex([])
        self.signal = signal
        self.continuation = continuation
    }

    static func connect(port: Int, from source: String = "127.0.0.1", to target: String = "127.0.0.1")
        async throws -> FakePeer {
        let (signal, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let box = Mutex<FakePeer?>(nil)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = BGPConnectionHandler { event in
                        guard case .message(let message) = event, let peer = box.withLock({ $0 }) else { return }
                        peer.record(message)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(to: SocketAddress(ipAddress: target, port: port)).get()
        let peer = FakePeer(channel: channel, signal: signal, continuation: continuation)
        box.withLock { $0 = peer }
        return peer
    }

    private func record(_ message: BGPMessage) {
        received.withLock { $0.append(message) }
        continuation.yield()
        // The decoder waits after an OPEN for the negotiated options; these tests keep the defaults.
        if case .open = message {
            try? channel.pipeline.syncOperations.handler(type: BGPConnectionHandler.self)
                .resume(options: BGPCodecOptions())
        }
    }

    /// The messages received so far (UPDATEs are counted by the handler, not listed).
    var messages: [BGPMessage] { received.withLock { $0 } }

    /// Waits until a received message satisfies `matches`.
    func waitForMessage(_ what: String, within limit: Duration = .seconds(30),
                        _ matches: @escaping @Sendable (BGPMessage) -> Bool) async throws -> BGPMessage {
        try await withTimeout(limit, waitingFor: what) { [self] in
            if let found = messages.first(where: matches) { return found }
            for await _ in signal {
                if let found = messages.first(where: matches) { return found }
            }
            throw TimeoutError(waitingFor: what, limit: limit)
        }
    }

    /// Puts a handler that drops every byte in front of the BGP decoder, for tests that flood the peer.
    func discardInbound() async throws {
        try await channel.eventLoop.submit { [channel] in
            try channel.pipeline.syncOperations.addHandler(Discard(), position: .first)
        }.get()
    }

    /// Drops what it reads.
    final class Discard: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    /// Writes `messages` with the options before the OPEN exchange (fine for these tests' messages).
    func send(_ messages: [BGPMessage]) {
        var buffer = channel.allocator.buffer(capacity: 4096)
        for message in messages { message.encode(into: &buffer, options: BGPCodecOptions()) }
        channel.writeAndFlush(buffer, promise: nil)
    }

    func close() {
        channel.close(promise: nil)
    }
}
