import LBKernel
import Logging
import NIOCore
import NIOPosix
import Synchronization

// BFD/: Bidirectional Forwarding Detection for BGP peers with a BFD profile (RFC 5880 Asynchronous mode, single-hop
// over UDP as RFC 5881 says; no Echo, no Demand mode of our own, no authentication).
//
// BFDSession.swift (this file)       the public entry point: run(), shutdown(), stateChanges for the BGP session
// BFDSessionDriver.swift             the NIO shell: runs the state machine on an event loop with real timers
// BFDSockets.swift                   the UDP sockets: port 3784, source port 49152-65535, TTL 255, GTSM filter
// BFDStateMachine.swift              the session as a pure struct: events in, actions out (RFC 5880 §6.2, §6.8)
// BFDParameters.swift                intervals, Detect Mult and role, from a MetalLB BFDProfile
// BFDControlPacket(+Codec).swift     the Control packet and its codec with the §6.8.6 checks
// BFDAuthentication.swift            the authentication section (decoded, never used: such packets are dropped)
// BFDState, BFDDiagnostic, BFDStateChange, BFDDiscardReason, BFDPacketError, BFDCounters: the values around them
//
// Decoding never traps on any input; every dropped datagram is counted with a BFDDiscardReason.

/// A single-hop BFD session with one peer (RFC 5880 Asynchronous mode over RFC 5881 UDP), running while ``run()``
/// runs.
///
/// The BGP session that owns it reads ``stateChanges`` (one reader) and tears down at once on a change whose
/// ``BFDStateChange/isPathFailure`` is true. `run()` opens the sockets (``BFDSockets``), runs a
/// ``BFDStateMachine`` on one event loop with real timers, and returns when its task is cancelled or
/// ``shutdown()`` is called: it then sends AdminDown (RFC 5880 §6.8.16) for up to a Detection Time of the peer's
/// (at most 1 s), closes the sockets and finishes the stream. It is not a ServiceLifecycle `Service` on purpose: it
/// lives inside the BGP session's task, and graceful shutdown reaches it when that task ends it, after the BGP
/// session has said goodbye.
public final class BFDSession: Sendable {
    /// Where the session runs and with which parameters.
    public struct Configuration: Hashable, Sendable {
        /// The peer's address (the BGP neighbour).
        public var peer: IPAddress
        /// The local address to send from and receive on, or nil for the kernel's choice.
        public var localAddress: IPAddress?
        /// The interface (or VRF device) to bind to with `SO_BINDTODEVICE`, and the scope of a link-local peer.
        public var interface: String?
        /// Intervals, multiplier and role.
        public var parameters: BFDParameters
        /// Profile settings this implementation does not apply, in words, for one log line when the session starts.
        public var ignoredSettings: [String]
        /// The UDP port: 3784 (RFC 5881 §4) except in tests on loopback.
        var port: UInt16 = BFDSockets.controlPort

        /// Creates a configuration from parameters.
        public init(peer: IPAddress, localAddress: IPAddress? = nil, interface: String? = nil,
                    parameters: BFDParameters = BFDParameters()) {
            self.peer = peer
            self.localAddress = localAddress
            self.interface = interface
            self.parameters = parameters
            ignoredSettings = []
        }

        /// Creates a configuration from a MetalLB `BFDProfile`; echo mode and the minimum TTL are noted as ignored.
        public init(peer: IPAddress, localAddress: IPAddress? = nil, interface: String? = nil, profile: BFDProfile) {
            self.init(peer: peer, localAddress: localAddress, interface: interface,
                      parameters: BFDParameters(profile: profile))
            if profile.echoMode == true {
                ignoredSettings.append("echoMode (lbd has no BFD Echo function; the session runs without it)")
            }
            if let ttl = profile.minimumTtl {
                ignoredSettings.append("minimumTtl \(ttl) (multihop only; single-hop BFD requires TTL 255, RFC 5881)")
            }
        }

        var endpoint: BFDSockets.Endpoint {
            BFDSockets.Endpoint(peer: peer, localAddress: localAddress, interface: interface, port: port)
        }
    }

    /// The configuration.
    public let configuration: Configuration
    /// Every state change, in order, from `AdminDown -> Down` at the start; finishes when ``run()`` returns.
    /// Read it from one task only.
    public let stateChanges: AsyncStream<BFDStateChange>
    /// bfd.LocalDiscr.
    public let localDiscriminator: UInt32

    let shared: Shared
    private let eventLoopGroup: any EventLoopGroup
    private let openSockets: @Sendable (BFDSockets.Endpoint) throws -> BFDSockets

    /// Creates a session; nothing happens until ``run()``. `localDiscriminator` defaults to a random nonzero value.
    public convenience init(configuration: Configuration, localDiscriminator: UInt32? = nil,
                            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "lbd.bfd")) {
        self.init(configuration: configuration, localDiscriminator: localDiscriminator,
                  eventLoopGroup: eventLoopGroup, logger: logger, openSockets: { try BFDSockets.open($0) })
    }

    /// Creates a session whose sockets `openSockets` opens (tests open them inside a network namespace).
    init(configuration: Configuration, localDiscriminator: UInt32? = nil,
         eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
         logger: Logger = Logger(label: "lbd.bfd"),
         openSockets: @escaping @Sendable (BFDSockets.Endpoint) throws -> BFDSockets) {
        self.configuration = configuration
        self.localDiscriminator = localDiscriminator ?? UInt32.random(in: 1...UInt32.max)
        self.eventLoopGroup = eventLoopGroup
        self.openSockets = openSockets
        let (stream, continuation) = AsyncStream.makeStream(of: BFDStateChange.self,
                                                            bufferingPolicy: .bufferingNewest(256))
        stateChanges = stream
        var logger = logger
        logger[metadataKey: "bfd.peer"] = "\(configuration.peer)"
        shared = Shared(continuation: continuation, logger: logger)
    }

    /// The current state (AdminDown before ``run()`` and after it returns).
    public var state: BFDState { shared.status.withLock { $0.state } }
    /// The counters so far.
    public var counters: BFDCounters { shared.status.withLock { $0.counters } }
    /// The last state change, or nil before the first.
    public var lastChange: BFDStateChange? { shared.status.withLock { $0.lastChange } }

    /// Runs the session until the task is cancelled, then says AdminDown and closes; call it once.
    ///
    /// Throws ``BFDSessionError`` when the sockets cannot be opened or the receive socket fails.
    public func run() async throws {
        let alreadyRun = shared.status.withLock { status in
            defer { status.hasRun = true }
            return status.hasRun
        }
        precondition(!alreadyRun, "BFDSession.run() may be called once")
        defer { shared.continuation.finish() }
        guard !shared.status.withLock({ $0.shutdownRequested }) else { return }
        let logger = shared.logger
        if !configuration.ignoredSettings.isEmpty {
            logger.warning("BFD profile settings ignored: \(configuration.ignoredSettings.joined(separator: "; "))")
        }
        let endpoint = configuration.endpoint
        let sockets: BFDSockets
        do {
            sockets = try openSockets(endpoint)
        } catch {
            throw BFDSessionError(.socket, "BFD session with \(endpoint.peer): \(error)")
        }
        let loop = eventLoopGroup.next()
        let closed = loop.makePromise(of: Void.self)
        let machine = BFDStateMachine(parameters: configuration.parameters, peer: endpoint.peer,
                                      localDiscriminator: localDiscriminator)
        let shared = shared
        let driver = try await loop.submit {
            NIOLoopBound(
                BFDSessionDriver(machine: machine, endpoint: endpoint, transmitSocket: sockets.transmit,
                                 eventLoop: loop, shared: shared, closed: closed),
                eventLoop: loop)
        }.get()
        do {
            _ = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(BFDReceiveHandler(driver: driver.value))
                    }
                }
                .withBoundSocket(sockets.receive)
                .get()
        } catch {
            loop.execute { driver.value.finish(nil) }
            throw BFDSessionError(.socket, "BFD session with \(endpoint.peer): the receive channel failed: \(error)")
        }
        logger.debug("BFD session started", metadata: [
            "bfd.sourcePort": "\(sockets.sourcePort)", "bfd.localDiscriminator": "\(localDiscriminator)",
        ])
        let stop: @Sendable () -> Void = { loop.execute { driver.value.stop() } }
        let stopNow = shared.status.withLock { status in
            status.stop = stop
            status.closed = closed.futureResult
            return status.shutdownRequested
        }
        if stopNow { stop() }
        try await withTaskCancellationHandler {
            try await closed.futureResult.get()
        } onCancel: {
            stop()
        }
    }

    /// Ends ``run()`` as cancelling its task does (AdminDown, at most 1 s of linger, sockets closed) and waits until
    /// the sockets are closed; a session whose `run()` has not begun will return from it at once.
    public func shutdown() async {
        let (stop, closed) = shared.status.withLock { status in
            status.shutdownRequested = true
            return (status.stop, status.closed)
        }
        stop?()
        try? await closed?.get()
    }

    /// The state shared between the event loop and readers of the session.
    final class Shared: Sendable {
        /// The state, counters and last change.
        let status = Mutex(Status())
        /// Where state changes go.
        let continuation: AsyncStream<BFDStateChange>.Continuation
        /// The session's logger, with the peer in its metadata.
        let logger: Logger

        init(continuation: AsyncStream<BFDStateChange>.Continuation, logger: Logger) {
            self.continuation = continuation
            self.logger = logger
        }
    }

    /// What readers see.
    struct Status {
        var state: BFDState = .adminDown
        var counters = BFDCounters()
        var lastChange: BFDStateChange?
        var hasRun = false
        /// ``shutdown()`` was called.
        var shutdownRequested = false
        /// Stops the running session (set once `run()` has its event loop).
        var stop: (@Sendable () -> Void)?
        /// Completes when the running session has closed its sockets.
        var closed: EventLoopFuture<Void>?
    }
}

/// Why a BFD session could not run.
public struct BFDSessionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// A socket could not be opened or configured.
        case socket
        /// The receive socket closed under the session.
        case receiveSocketClosed
    }

    /// The kind of failure.
    public var code: Code
    /// What failed, naming the peer and the system call.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
