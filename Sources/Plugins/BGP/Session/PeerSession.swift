import LBKernel
public import Logging
public import NIOCore
import Synchronization

/// One BGP session with one configured peer: runs ``SessionStateMachine`` with a real clock and performs its actions
/// over TCP (RFC 4271).
///
/// The shell around the pure state machine: outgoing connections (source address, TTL, VRF device, TCP-MD5),
/// incoming connections handed over by ``SessionListener``, connection collisions (RFC 4271 §6.8, with
/// ``SessionCollisionResolver``), connect-retry backoff, hold and keepalive timers, and a Cease on shutdown.
/// Everything the machine does happens in ``run()``: one task owns the machines, the timers and the connections,
/// and the rest of the API only posts inputs to it (or, for ``send(generation:_:)``, writes to the Established
/// connection directly). Received UPDATEs are counted and dropped: lbd never becomes a transit router.
public final class PeerSession: Sendable {
    /// The session's settings.
    public let configuration: Configuration
    /// What happens to the session, for the announcer: Established, down, ROUTE-REFRESH; one consumer.
    public let events: AsyncStream<Event>
    let eventContinuation: AsyncStream<Event>.Continuation
    let inputs: AsyncStream<Input>
    let inputContinuation: AsyncStream<Input>.Continuation
    let group: any EventLoopGroup
    /// The event loop that runs the session's timers.
    let timerLoop: any EventLoop
    let logger: Logger
    let shared: Mutex<Shared>

    /// Creates a session; nothing happens until ``run()``.
    public init(configuration: Configuration, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.timerLoop = group.next()
        var logger = logger
        logger[metadataKey: "bgp.peer"] = "\(configuration.peer.name)"
        self.logger = logger
        (events, eventContinuation) = AsyncStream.makeStream(of: Event.self)
        (inputs, inputContinuation) = AsyncStream.makeStream(of: Input.self)
        shared = Mutex(Shared())
    }

    /// The peer's name.
    public var name: String { configuration.peer.name }

    /// The state of the session's main connection (RFC 4271 §8.2.2).
    public var state: SessionStateMachine.State { shared.withLock { $0.state } }

    /// Counters of what the session sent and received.
    public var statistics: Statistics { shared.withLock { $0.statistics } }

    /// The Established session, or nil.
    public var established: Established? { shared.withLock { $0.established?.info } }

    /// Runs the session until the task is cancelled or ``shutdown(reason:)`` is called; then sends the Cease (see
    /// ``Configuration/shutdownReason``), flushes and closes, waiting at most ``Configuration/shutdownTimeout``.
    ///
    /// Throws ``Failure`` when the configuration cannot work (no peer address). Call it once.
    public func run() async throws {
        let start = shared.withLock { shared -> Bool in
            guard shared.runState == .notStarted else { return false }
            shared.runState = .running
            return true
        }
        guard start else {
            if shared.withLock({ $0.runState == .finished }) { return }
            preconditionFailure("PeerSession.run() called twice for peer \(name)")
        }
        guard configuration.peer.peerAddress != nil else {
            finished()
            throw Failure(.unsupportedPeer, "BGP peer \(name) has no peerAddress; unnumbered sessions over "
                + "interface '\(configuration.peer.interface ?? "")' are not supported")
        }
        var driver = Driver(session: self)
        driver.start()
        var stopReason = configuration.shutdownReason
        // The stream ends by itself when this task is cancelled.
        for await input in inputs {
            if case .stop(let reason) = input {
                stopReason = reason
                break
            }
            driver.handle(input)
        }
        await driver.finish(stopReason)
        finished()
    }

    /// Writes UPDATEs to the Established session `generation`: `encode` appends whole encoded messages to the
    /// buffer with the session's codec options and returns how many; they are written in large chunks, waiting for
    /// the socket whenever the peer reads slowly.
    ///
    /// Returns once the last byte is in the socket. Throws ``Failure`` (``Failure/Code/sessionGone``) when that
    /// session is no longer Established, before or during the write. Runs `encode` in the caller's isolation.
    public nonisolated(nonsending) func send(
        generation: UInt64, _ encode: (inout ByteBuffer, BGPCodecOptions) throws -> Int
    ) async throws {
        guard let link = shared.withLock({ $0.established }), link.info.generation == generation else {
            throw Failure(.sessionGone, "BGP peer \(name): session \(generation) is no longer Established")
        }
        var buffer = link.connection.channel.allocator.buffer(capacity: 64 * 1024)
        let count = try encode(&buffer, link.info.codecOptions)
        guard buffer.readableBytes > 0 else { return }
        do {
            try await link.connection.writeAll(buffer).get()
        } catch {
            throw Failure(.sessionGone, "BGP peer \(name): session \(generation) closed while sending: \(error)")
        }
        shared.withLock { $0.statistics.updatesSent += count }
        inputContinuation.yield(.updateSent(generation: generation))
    }

    /// Closes the session now, with the Cease `reason` calls for (none for a graceful restart to a peer that
    /// supports it), and connects again after the backoff delay; for BFD down, for example.
    public func tearDown(reason: SessionStopReason) {
        inputContinuation.yield(.tearDown(reason))
    }

    /// Sends the Cease `reason` calls for, closes, and returns once ``run()`` has returned (at once when it never
    /// ran).
    public func shutdown(reason: SessionStopReason = .administrativeShutdown(message: nil)) async {
        let running = shared.withLock { shared -> Bool in
            switch shared.runState {
            case .notStarted:
                shared.runState = .finished
                return false
            case .running:
                return true
            case .finished:
                return false
            }
        }
        guard running else {
            eventContinuation.finish()
            inputContinuation.finish()
            return
        }
        inputContinuation.yield(.stop(reason))
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { shared -> Bool in
                if shared.runState == .finished { return true }
                shared.finishWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Marks the run finished, ends the streams and wakes ``shutdown(reason:)``.
    private func finished() {
        let waiters = shared.withLock { shared in
            shared.runState = .finished
            shared.established = nil
            defer { shared.finishWaiters = [] }
            return shared.finishWaiters
        }
        eventContinuation.finish()
        inputContinuation.finish()
        for waiter in waiters { waiter.resume() }
    }
}

extension PeerSession {
    /// What ``PeerSession`` methods throw: a stable code and a message naming the peer.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The kind of failure.
        public var code: Code
        /// What went wrong, in words.
        public var message: String

        /// The kinds of failure.
        public enum Code: String, Hashable, Sendable {
            /// The session generation a send was for is no longer Established.
            case sessionGone
            /// The peer configuration asks for something the session cannot do.
            case unsupportedPeer
        }

        /// Creates a failure.
        public init(_ code: Code, _ message: String) {
            self.code = code
            self.message = message
        }

        /// The message.
        public var description: String { message }
    }

    /// The state shared between ``run()`` and the other methods.
    struct Shared: ~Copyable {
        var runState = RunState.notStarted
        var state = SessionStateMachine.State.idle
        var established: EstablishedLink?
        var statistics = Statistics()
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
        /// Every open channel of this session, so that stopping closes them all.
        var liveChannels: [UInt64: any Channel] = [:]
        /// The last connection number given out.
        var lastConnectionID: UInt64 = 0
        /// Set when the session stops: channels opened afterwards are closed at once.
        var closed = false
    }

    /// Where ``run()`` is.
    enum RunState: Hashable, Sendable {
        case notStarted, running, finished
    }

    /// The Established session as ``send(generation:_:)`` needs it.
    struct EstablishedLink: Sendable {
        var info: Established
        var connection: BGPConnection
    }

    /// What ``run()`` reacts to.
    enum Input: Sendable {
        /// Something happened on a connection.
        case connection(UInt64, BGPConnection.Event)
        /// An outgoing connection attempt ended.
        case connectFinished(UInt64, Result<BGPConnection, any Error>)
        /// The listener handed over a connection from the peer.
        case incoming(BGPConnection)
        /// A timer fired.
        case timerFired(TimerKey, token: UInt64)
        /// ``PeerSession/tearDown(reason:)``.
        case tearDown(SessionStopReason)
        /// ``PeerSession/shutdown(reason:)``.
        case stop(SessionStopReason)
        /// ``PeerSession/send(generation:_:)`` wrote UPDATEs.
        case updateSent(generation: UInt64)
    }

    /// Keeps `channel` in the set closed on stop; false (and the channel must be closed) when the session stopped.
    func register(_ channel: any Channel, id: UInt64) -> Bool {
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.closed else { return false }
            shared.liveChannels[id] = channel
            return true
        }
        guard accepted else { return false }
        channel.closeFuture.whenComplete { [self] _ in
            _ = shared.withLock { $0.liveChannels.removeValue(forKey: id) }
        }
        return true
    }

    /// A new connection number, unique within this session.
    func nextConnectionID() -> UInt64 {
        shared.withLock { shared in
            shared.lastConnectionID += 1
            return shared.lastConnectionID
        }
    }
}
