#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LBKernel
import Logging
import NIOCore
import NIOPosix
import Synchronization

// The event-loop side of Membership: every function here except `openSockets` and `startReceiving` runs on
// `loop`, so the state changes in one order; the mutex only lets other threads read it.

extension Membership {
    /// Where ``Membership/run()`` is.
    enum Phase: Sendable {
        case idle, running, stopped
    }

    /// The state of a membership: the state machine, the sockets and timers, the counters.
    struct State: ~Copyable {
        var machine: MembershipStateMachine
        var phase = Phase.idle
        var hasRun = false
        /// ``Membership/leave()`` was called while running.
        var leaveRequested = false
        /// The leaving beats are being sent: no more ordinary beats.
        var leaving = false
        /// Completed when `run()` may return.
        var stopped: EventLoopPromise<Void>?
        var sequence: UInt64 = 0
        var counters = Counters()
        var rejectionLog = LogLimiter<RejectionKey>()
        var problemLog = LogLimiter<String>()
        /// The interfaces to beat on (multicast).
        var interfaces: [String] = []
        /// The interfaces beaten on now, by name (multicast).
        var links: [String: Link] = [:]
        var sockets: Sockets?
        var channels: [any Channel] = []
        var beatTimer: Scheduled<Void>?
        var tick: (timer: Scheduled<Void>, at: ContinuousClock.Instant)?
        var reconcileTimer: RepeatedTask?
    }

    /// A rejection reason and the source address it came from.
    struct RejectionKey: Hashable, Sendable {
        var reason: HeartbeatRejection
        var source: String
    }

    /// An interface multicast beats go out on: its index (a recreated interface gets another) and send socket.
    struct Link: Sendable {
        var index: CInt
        var sender: CInt
    }

    /// The receive sockets and, for each, a duplicate descriptor this code keeps for group memberships and
    /// unicast sends (so unicast beats leave from the heartbeat port); NIO owns the originals once reading.
    struct Sockets: Sendable {
        var receive4: CInt?
        var control4: CInt?
        var receive6: CInt?
        var control6: CInt?

        /// Every descriptor this code closes itself.
        var controls: [CInt] { [control4, control6].compactMap { $0 } }
    }

    /// A log line to write once the lock is released.
    typealias LogLine = (level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata)

    // MARK: Starting and stopping

    /// Opens the receive sockets the configuration needs (IPv4 for multicast or IPv4 peers, IPv6 for IPv6 peers).
    func openSockets() throws(MembershipError) -> Sockets {
        let peers = configuration.peers
        let needs4 = peers.isEmpty || peers.contains { $0.family == .ipv4 }
        let needs6 = peers.contains { $0.family == .ipv6 }
        let port = configuration.port
        var sockets = Sockets()
        do throws(MembershipSockets.Failure) {
            if needs4 {
                let socket = try network.perform { () throws(MembershipSockets.Failure) in
                    try MembershipSockets.openReceive(.ipv4, port: port)
                }
                sockets.receive4 = socket
                sockets.control4 = try MembershipSockets.duplicate(socket)
            }
            if needs6 {
                let socket = try network.perform { () throws(MembershipSockets.Failure) in
                    try MembershipSockets.openReceive(.ipv6, port: port)
                }
                sockets.receive6 = socket
                sockets.control6 = try MembershipSockets.duplicate(socket)
            }
            return sockets
        } catch {
            for socket in [sockets.receive4, sockets.receive6].compactMap({ $0 }) + sockets.controls {
                MembershipSockets.closeSocket(socket)
            }
            throw MembershipError(.socket, "heartbeat: \(error)")
        }
    }

    /// Hands the receive sockets to NIO and starts beating.
    func startReceiving(_ sockets: Sockets) async throws(MembershipError) {
        var channels: [any Channel] = []
        for socket in [sockets.receive4, sockets.receive6].compactMap({ $0 }) {
            do {
                let channel = try await DatagramBootstrap(group: loop)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(HeartbeatReceiveHandler(membership: self))
                        }
                    }
                    .withBoundSocket(socket)
                    .get()
                channels.append(channel)
            } catch {
                for channel in channels { channel.close(promise: nil) }
                for socket in sockets.controls { MembershipSockets.closeSocket(socket) }
                throw MembershipError(.socket, "heartbeat: reading port \(configuration.port) failed: \(error)")
            }
        }
        let opened = channels
        let started = loop.submit { self.started(sockets, opened) }
        _ = try? await started.get()
    }

    /// Stores the sockets and sends the first beat (or the leaving beats, when ``leave()`` came first).
    func started(_ sockets: Sockets, _ channels: [any Channel]) {
        let leave = state.withLock { state -> Bool? in
            guard state.phase == .running else { return nil }
            state.sockets = sockets
            state.channels = channels
            return state.leaveRequested
        }
        guard let leave else {
            // Stopped while the sockets were being opened: nobody else will close them.
            for channel in channels { channel.close(promise: nil) }
            for socket in sockets.controls { MembershipSockets.closeSocket(socket) }
            return
        }
        for channel in channels {
            channel.closeFuture.whenComplete { _ in self.channelClosed() }
        }
        if leave {
            beginLeaving()
            return
        }
        beat(deadline: .now)
        if configuration.peers.isEmpty {
            reconcileInterfaces()
            let timer = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                self.reconcileInterfaces()
            }
            state.withLock { $0.reconcileTimer = timer }
        }
    }

    /// A receive channel closed: if not on purpose, the membership cannot go on.
    func channelClosed() {
        let running = state.withLock { $0.phase == .running }
        guard running else { return }
        logger.error("heartbeat receive socket closed unexpectedly; heartbeats stop")
        stop()
    }

    /// Cancels the timers, closes every socket and lets ``run()`` return (the others will see this node die unless
    /// it sent leaving beats first).
    func stop() {
        let (channels, stopped) = state.withLock { state -> ([any Channel], EventLoopPromise<Void>?) in
            guard state.phase == .running else { return ([], nil) }
            state.phase = .stopped
            state.beatTimer?.cancel()
            state.tick?.timer.cancel()
            state.reconcileTimer?.cancel()
            state.beatTimer = nil
            state.tick = nil
            state.reconcileTimer = nil
            for link in state.links.values { MembershipSockets.closeSocket(link.sender) }
            state.links = [:]
            for socket in state.sockets?.controls ?? [] { MembershipSockets.closeSocket(socket) }
            state.sockets = nil
            defer { state.channels = [] }
            return (state.channels, state.stopped)
        }
        guard let stopped else { return }
        EventLoopFuture.andAllComplete(channels.map { $0.close() }, on: loop).whenComplete { _ in
            self.logger.info("heartbeats stopped")
            stopped.succeed()
        }
    }

    /// Stops the ordinary beats and sends the three leaving beats, 2 ms apart, then stops.
    func beginLeaving() {
        let begin = state.withLock { state -> Bool in
            guard state.phase == .running, state.sockets != nil, !state.leaving else { return false }
            state.leaving = true
            state.beatTimer?.cancel()
            state.beatTimer = nil
            return true
        }
        guard begin else { return }
        logger.info("leaving: telling the other nodes")
        sendLeavingBeat(remaining: Self.leavingBeats)
    }

    /// How many leaving beats are sent.
    static let leavingBeats = 3

    func sendLeavingBeat(remaining: Int) {
        let running = state.withLock { state -> Bool in
            guard state.phase == .running else { return false }
            sendBeat(leaving: true, &state)
            return true
        }
        guard running else { return }
        if remaining > 1 {
            loop.scheduleTask(in: .milliseconds(2)) { self.sendLeavingBeat(remaining: remaining - 1) }
        } else {
            stop()
        }
    }
}
