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

// The event-loop side of Membership, continued: beats out, datagrams in, deadlines (all on `loop`).

extension Membership {
    // MARK: Beating

    /// Sends a beat due at `deadline` and schedules the next one an interval ±10 % after that deadline (not after
    /// now, so the timer does not drift; after a stall it beats at once and goes on from there).
    func beat(deadline: ContinuousClock.Instant) {
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
    func sendBeat(leaving: Bool, _ state: inout State) -> [LogLine] {
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
    func rejected(_ reason: HeartbeatRejection, _ heartbeat: Heartbeat?, from source: SocketAddress,
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
    func scheduleTick(_ state: inout State) {
        guard let next = state.machine.nextDeadline else { return }
        if let tick = state.tick, tick.at <= next { return }
        state.tick?.timer.cancel()
        let delay = TimeAmount(max(.zero, next - .now))
        state.tick = (loop.scheduleTask(in: delay) { self.tick() }, next)
    }

    /// Declares dead the nodes whose time has come.
    func tick() {
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

    // MARK: Helpers

    func write(_ lines: [LogLine]) {
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
