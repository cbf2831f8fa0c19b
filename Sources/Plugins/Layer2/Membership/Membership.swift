import LBKernel
public import Logging
import NIOCore
import NIOPosix
import Synchronization

// Membership/: which lbd nodes of the segment are alive, from authenticated UDP heartbeats.
//
// Heartbeat.swift                 the beat: node, incarnation, sequence, timestamp, interval, leaving
// HeartbeatCodec.swift            its wire format (the table at the top) and HMAC-SHA256 sealing/opening
// HeartbeatKey.swift              the shared key (text or file), HeartbeatKeyError
// HeartbeatRejection.swift        why a datagram or beat was dropped (counted per reason)
// MembershipStateMachine.swift    pure: beats and ticks in, joined/restarted/left/died out; replay and time checks
// MembershipEvent.swift           MembershipEvent and MembershipUpdate (what `updates` delivers)
// Membership.swift (this file)    the NIO shell: sockets, beat timer, receive path, leave()
// Membership+Lifecycle.swift      the shell's event-loop side: state, sockets opened, started, stopped, leaving
// Membership+Beats.swift          beats sent (the schedule), datagrams received, deadlines ticked
// Membership+Interfaces.swift     the multicast interfaces: group joined and a send socket per interface
// Membership+Configuration.swift  the `heartbeat:` section of the plugin file, checked strictly
// Membership+Counters.swift       counters; LogLimiter (rate-limited logging of rejections and send errors)
// MembershipSockets.swift         the system calls (multicast by interface index, TTL 1, loop off)
// MembershipError.swift           why it cannot start

/// The heartbeat membership of one node: it beats every ``Configuration/interval`` (±10 %), listens to the other
/// nodes' beats, and reports through ``updates`` which of them are live.
///
/// Beats go to the multicast ``Configuration/group`` on each interface given to ``setInterfaces(_:)`` (TTL 1: the
/// segment only), or to the unicast ``Configuration/peers`` when set. Each datagram is authenticated with
/// HMAC-SHA256 (``HeartbeatCodec``); ``MembershipStateMachine`` judges the beats. Rejected datagrams are counted per
/// reason (``counters``) and logged at most once per 10 s per reason and source address.
///
/// ``run()`` runs it once: until its task is cancelled (the others then see this node die) or until ``leave()``
/// (they see it leave at once). All its work happens on one event loop of `MultiThreadedEventLoopGroup.singleton`.
public final class Membership: Sendable {
    /// The settings.
    public let configuration: Configuration
    /// This node's name, as the others see it.
    public let node: String
    /// This node's incarnation: its start time in ns since the epoch.
    public let incarnation: UInt64
    /// Every change of the live set and every event, in order; finishes when ``run()`` returns. Read it from one
    /// task.
    public let updates: AsyncStream<MembershipUpdate>

    let codec: HeartbeatCodec
    let logger: Logger
    let loop: any EventLoop
    /// Where the peers listen: ``Configuration/port``, except in tests that run two nodes on one host.
    let peerPort: UInt16?
    /// Where sockets are made (another network namespace in tests).
    let network: MembershipNetwork
    let continuation: AsyncStream<MembershipUpdate>.Continuation
    let state: Mutex<State>

    /// Creates the membership of node `node`, authenticating with `keys` (the first signs, any is accepted);
    /// nothing is sent before ``run()``.
    ///
    /// `incarnation` defaults to the current time; a restarted node must announce a higher one.
    public convenience init(configuration: Configuration, node: String, keys: [HeartbeatKey],
                            logger: Logger = Logger(label: "lbd.layer2.membership"),
                            incarnation: UInt64? = nil) throws(MembershipError) {
        try self.init(configuration: configuration, node: node, keys: keys, logger: logger,
                      incarnation: incarnation, peerPort: nil, network: .host)
    }

    /// Creates a membership whose peers listen on `peerPort` and whose sockets are made through `network`.
    init(configuration: Configuration, node: String, keys: [HeartbeatKey], logger: Logger, incarnation: UInt64?,
         peerPort: UInt16?, network: MembershipNetwork,
         eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws(MembershipError) {
        guard Heartbeat.isValidNodeName(node) else {
            throw MembershipError(.invalidNodeName, "heartbeat: node name '\(node)' must be 1 to 253 octets of UTF-8")
        }
        guard !keys.isEmpty else { throw MembershipError(.noKey, "heartbeat: no key given for node \(node)") }
        self.configuration = configuration
        self.node = node
        let incarnation = incarnation ?? Membership.wallClock()
        self.incarnation = incarnation
        codec = HeartbeatCodec(keys: keys)
        var logger = logger
        logger[metadataKey: "heartbeat.node"] = "\(node)"
        self.logger = logger
        loop = eventLoopGroup.next()
        self.peerPort = peerPort
        self.network = network
        (updates, continuation) = AsyncStream.makeStream(of: MembershipUpdate.self)
        let machine = MembershipStateMachine(node: node, incarnation: incarnation, deadAfter: configuration.deadAfter,
                                             maxClockSkew: configuration.maxClockSkew.duration)
        state = Mutex(State(machine: machine))
    }

    /// The other nodes live now.
    public var live: Set<String> { state.withLock { $0.machine.live } }

    /// What is known of each other node heard recently.
    public var members: [String: MembershipStateMachine.Member] { state.withLock { $0.machine.members } }

    /// The counters so far.
    public var counters: Counters {
        state.withLock { state in
            var counters = state.counters
            counters.rejected = state.machine.rejections
            return counters
        }
    }

    /// The interfaces multicast beats are sent and received on (the announcing interfaces), replacing the previous
    /// ones; unused with unicast ``Configuration/peers``. Interfaces that do not exist yet are retried every second.
    public func setInterfaces(_ interfaces: [String]) {
        let running = state.withLock { state in
            state.interfaces = Array(Set(interfaces)).sorted()
            return state.phase == .running
        }
        if running { loop.execute { self.reconcileInterfaces() } }
    }

    /// Runs until the task is cancelled or ``leave()`` is called; call it once.
    ///
    /// Throws ``MembershipError`` when the sockets cannot be opened.
    public func run() async throws {
        let stopped = loop.makePromise(of: Void.self)
        let start = state.withLock { state in
            precondition(!state.hasRun, "Membership.run() may be called once")
            state.hasRun = true
            guard state.phase == .idle else { return false }
            state.phase = .running
            state.stopped = stopped
            return true
        }
        defer { continuation.finish() }
        guard start else {
            stopped.succeed()
            return
        }
        do {
            let sockets = try openSockets()
            try await startReceiving(sockets)
        } catch {
            loop.execute { self.stop() }
            try? await stopped.futureResult.get()
            throw error
        }
        logger.info("heartbeats started", metadata: [
            "heartbeat.to": "\(configuration.peers.isEmpty ? "\(configuration.group)" : "\(configuration.peers)")",
            "heartbeat.port": "\(configuration.port)", "heartbeat.interval": "\(configuration.interval)",
            "heartbeat.deadAfter": "\(configuration.deadAfter)", "heartbeat.incarnation": "\(incarnation)",
        ])
        try await withTaskCancellationHandler {
            try await stopped.futureResult.get()
        } onCancel: {
            loop.execute { self.stop() }
        }
    }

    /// Says goodbye: sends three leaving beats a few milliseconds apart (the others mark this node gone at once),
    /// stops beating and makes ``run()`` return; returns once the sockets are closed. Before ``run()``, it makes
    /// `run()` return at once.
    public func leave() async {
        let stopped: EventLoopFuture<Void>? = state.withLock { state in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return nil
            case .running:
                state.leaveRequested = true
                return state.stopped?.futureResult
            case .stopped:
                return nil
            }
        }
        guard let stopped else { return }
        loop.execute { self.beginLeaving() }
        try? await stopped.get()
    }
}
