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
    private func started(_ sockets: Sockets, _ channels: [any Channel]) {
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
    private func channelClosed() {
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

    private func sendLeavingBeat(remaining: Int) {
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

    // MARK: Beating

    /// Sends a beat due at `deadline` and schedules the next one an interval ±10 % after that deadline (not after
    /// now, so the timer does not drift; after a stall it beats at once and goes on from there).
    private func beat(deadline: ContinuousClock.Instant) {
        let lines = state.withLock { state -> [LogLine] in
            guard state.phase == .running, !state.leaving else { return [] }
            let lines = sendBeat(leaving: false, &state)
            let now = ContinuousClock.now
            let next = Self.nextBeat(after: deadline, now: now, interval: configuration.interval.duration,
                                     factor: Double.random(in: Self.jitter))
            state.beatTimer = loop.scheduleTask(in: TimeAmount(next - now)) { self.beat(deadline: next) }
            return lines
        }
        write(lines)
    }

    /// The range of the random factor applied to each interval (±10 %).
    static let jitter = 0.9...1.1

    /// When the beat after the one due at `deadline` is due: `interval` × `factor` after that deadline (not after
    /// `now`, so lateness does not accumulate), or `now` when that is already past (after a stall: one beat at
    /// once, no burst of the missed ones).
    static func nextBeat(after deadline: ContinuousClock.Instant, now: ContinuousClock.Instant, interval: Duration,
                         factor: Double) -> ContinuousClock.Instant {
        max(deadline + interval * factor, now)
    }

    /// Seals the next beat and sends it to every destination; send failures are counted and logged (limited).
    @discardableResult
    private func sendBeat(leaving: Bool, _ state: inout State) -> [LogLine] {
        guard let sockets = state.sockets else { return [] }
        state.sequence += 1
        let heartbeat = Heartbeat(node: node, incarnation: incarnation, sequence: state.sequence,
                                  timestamp: Self.wallClock(), intervalMilliseconds: configuration.intervalMilliseconds,
                                  leaving: leaving)
        let bytes = codec.seal(heartbeat)
        var destinations: [(socket: CInt, address: IPAddress, port: UInt16, via: String)] = []
        if configuration.peers.isEmpty {
            for (name, link) in state.links.sorted(by: { $0.key < $1.key }) {
                destinations.append((link.sender, .v4(configuration.group), configuration.port, name))
            }
        } else {
            for peer in configuration.peers {
                guard let socket = peer.family == .ipv4 ? sockets.control4 : sockets.control6 else { continue }
                destinations.append((socket, peer, peerPort ?? configuration.port, "\(peer)"))
            }
        }
        var lines: [LogLine] = []
        let now = ContinuousClock.now
        for destination in destinations {
            if let error = MembershipSockets.send(bytes, from: destination.socket, to: destination.address,
                                                  port: destination.port) {
                state.counters.sendErrors += 1
                if let skipped = state.problemLog.shouldLog("send \(destination.via) \(error)", at: now) {
                    lines.append((.warning, "heartbeat not sent", [
                        "heartbeat.to": "\(destination.address):\(destination.port)",
                        "heartbeat.via": "\(destination.via)", "error": "\(MembershipSockets.errorText(error))",
                        "heartbeat.suppressed": "\(skipped)",
                    ]))
                }
            } else {
                state.counters.sent += 1
            }
        }
        return lines
    }

    // MARK: Receiving and ticking

    /// Judges a received datagram; publishes the update it causes.
    func receive(_ bytes: [UInt8], from source: SocketAddress) {
        let now = ContinuousClock.now
        let wall = Self.wallClock()
        var update: MembershipUpdate?
        let lines = state.withLock { state -> [LogLine] in
            guard state.phase == .running else { return [] }
            state.counters.received += 1
            let result: Result<[MembershipEvent], HeartbeatRejection>
            var heartbeat: Heartbeat?
            do throws(HeartbeatRejection) {
                let opened = try codec.open(bytes)
                heartbeat = opened
                result = state.machine.receive(opened, at: now, wallClock: wall)
            } catch {
                state.machine.count(error)
                result = .failure(error)
            }
            switch result {
            case .success(let events):
                state.counters.accepted += 1
                scheduleTick(&state)
                guard !events.isEmpty else { return [] }
                update = MembershipUpdate(live: state.machine.live, events: events)
                let metadata: Logger.Metadata = ["heartbeat.beat": "\(heartbeat.map(\.description) ?? "")",
                                                 "heartbeat.from": "\(Self.text(source))"]
                return events.map { (.info, Logger.Message(stringLiteral: $0.description), metadata) }
            case .failure(let reason):
                return rejected(reason, heartbeat, from: source, at: now, &state)
            }
        }
        if let update { continuation.yield(update) }
        write(lines)
    }

    /// The log line of a rejection, when one is due (``HeartbeatRejection/fromSelf`` is expected and never logged).
    private func rejected(_ reason: HeartbeatRejection, _ heartbeat: Heartbeat?, from source: SocketAddress,
                          at now: ContinuousClock.Instant, _ state: inout State) -> [LogLine] {
        guard reason != .fromSelf else { return [] }
        let key = RejectionKey(reason: reason, source: source.ipAddress ?? "\(source)")
        guard let skipped = state.rejectionLog.shouldLog(key, at: now) else { return [] }
        var metadata: Logger.Metadata = [
            "heartbeat.from": "\(Self.text(source))", "heartbeat.rejection": "\(reason)",
            "heartbeat.rejected": "\(state.machine.rejections[reason] ?? 0)", "heartbeat.suppressed": "\(skipped)",
        ]
        if let heartbeat { metadata["heartbeat.beat"] = "\(heartbeat)" }
        if reason == .duplicateNodeName {
            let message = Logger.Message(stringLiteral: "another node sends heartbeats with this node's name: node "
                + "names must be unique, or both nodes answer for the same addresses")
            return [(.error, message, metadata)]
        }
        return [(.warning, "heartbeat rejected", metadata)]
    }

    /// Makes sure a tick runs at the state machine's next deadline (a tick already due earlier is kept: it
    /// reschedules itself).
    private func scheduleTick(_ state: inout State) {
        guard let next = state.machine.nextDeadline else { return }
        if let tick = state.tick, tick.at <= next { return }
        state.tick?.timer.cancel()
        let delay = TimeAmount(max(.zero, next - .now))
        state.tick = (loop.scheduleTask(in: delay) { self.tick() }, next)
    }

    /// Declares dead the nodes whose time has come.
    private func tick() {
        var update: MembershipUpdate?
        let lines = state.withLock { state -> [LogLine] in
            guard state.phase == .running else { return [] }
            state.tick = nil
            let events = state.machine.tick(at: .now)
            scheduleTick(&state)
            guard !events.isEmpty else { return [] }
            update = MembershipUpdate(live: state.machine.live, events: events)
            return events.map { (.warning, Logger.Message(stringLiteral: $0.description), [:]) }
        }
        if let update { continuation.yield(update) }
        write(lines)
    }

    // MARK: Interfaces

    /// Joins the group and opens a send socket on each wanted interface, and undoes both on interfaces no longer
    /// wanted, gone or recreated (another index).
    func reconcileInterfaces() {
        let lines = state.withLock { state -> [LogLine] in
            guard state.phase == .running, configuration.peers.isEmpty, let control = state.sockets?.control4 else {
                return []
            }
            let wanted = state.interfaces
            let indexes = (try? network.perform {
                Dictionary(wanted.compactMap { name in MembershipSockets.interfaceIndex(name).map { (name, $0) } },
                           uniquingKeysWith: { first, _ in first })
            }) ?? [:]
            var lines: [LogLine] = []
            let group = configuration.group
            for (name, link) in state.links.sorted(by: { $0.key < $1.key }) where indexes[name] != link.index {
                try? MembershipSockets.setMembership(control, group: group, interface: name, index: link.index,
                                                     join: false)
                MembershipSockets.closeSocket(link.sender)
                state.links[name] = nil
                lines.append((.info, "heartbeats stopped on \(name)", [:]))
            }
            let now = ContinuousClock.now
            for name in wanted where state.links[name] == nil {
                guard let index = indexes[name] else {
                    if state.problemLog.shouldLog("missing \(name)", at: now) != nil {
                        lines.append((.warning, "heartbeat interface \(name) does not exist (yet); retrying", [:]))
                    }
                    continue
                }
                do throws(MembershipSockets.Failure) {
                    let loop = multicastLoop
                    let sender = try network.perform { () throws(MembershipSockets.Failure) in
                        try MembershipSockets.openMulticastSender(interface: name, index: index, loop: loop)
                    }
                    do throws(MembershipSockets.Failure) {
                        try MembershipSockets.setMembership(control, group: group, interface: name, index: index,
                                                            join: true)
                    } catch {
                        MembershipSockets.closeSocket(sender)
                        throw error
                    }
                    state.links[name] = Link(index: index, sender: sender)
                    lines.append((.info, "heartbeats on \(name)", ["heartbeat.group": "\(group)"]))
                } catch {
                    if state.problemLog.shouldLog("link \(name) \(error)", at: now) != nil {
                        lines.append((.warning, "heartbeats cannot use \(name); retrying", ["error": "\(error)"]))
                    }
                }
            }
            return lines
        }
        write(lines)
    }

    // MARK: Helpers

    private func write(_ lines: [LogLine]) {
        for line in lines { logger.log(level: line.level, line.message, metadata: line.metadata) }
    }

    /// `address:port` of a socket address.
    static func text(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// The wall clock in ns since the Unix epoch.
    static func wallClock() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Hands each received datagram to the membership.
final class HeartbeatReceiveHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let membership: Membership

    init(membership: Membership) { self.membership = membership }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        membership.receive(Array(envelope.data.readableBytesView), from: envelope.remoteAddress)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        membership.logger.debug("heartbeat socket error", metadata: ["error": "\(error)"])
    }
}
