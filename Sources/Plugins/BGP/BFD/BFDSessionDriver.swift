#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LBKernel
import Logging
import NIOCore
import Synchronization

/// Runs one session's ``BFDStateMachine`` on its event loop: received datagrams and timer expiries go in, and its
/// actions are performed here (send on the transmit socket, arm NIO timers, publish state changes, count drops).
///
/// Confined to the event loop: every method runs there.
final class BFDSessionDriver {
    private enum Phase {
        /// Waiting for the receive channel to become active.
        case starting
        /// The session runs.
        case running
        /// AdminDown was sent; closing after a short linger.
        case stopping
        /// Sockets closed, `closed` completed.
        case finished
    }

    private var machine: BFDStateMachine
    private let endpoint: BFDSockets.Endpoint
    private let transmitSocket: CInt
    private let eventLoop: any EventLoop
    private let shared: BFDSession.Shared
    private let closed: EventLoopPromise<Void>
    private var phase = Phase.starting
    private var channel: (any Channel)?
    private var timers: [BFDStateMachine.Timer: Scheduled<Void>] = [:]
    private var generations: [BFDStateMachine.Timer: UInt64] = [:]
    private var sendBuffer = ByteBufferAllocator().buffer(capacity: BFDControlPacket.mandatoryLength)
    private var lastSendFailed = false

    /// The longest AdminDown linger on stop (RFC 5880 §6.8.16 asks for a Detection Time; shutdown should be quick).
    static let maximumStopLinger: Duration = .seconds(1)

    init(machine: BFDStateMachine, endpoint: BFDSockets.Endpoint, transmitSocket: CInt, eventLoop: any EventLoop,
         shared: BFDSession.Shared, closed: EventLoopPromise<Void>) {
        self.machine = machine
        self.endpoint = endpoint
        self.transmitSocket = transmitSocket
        self.eventLoop = eventLoop
        self.shared = shared
        self.closed = closed
    }

    private var logger: Logger { shared.logger }

    /// The receive channel is up: enable the session.
    func channelActive(_ channel: any Channel) {
        self.channel = channel
        guard phase == .starting else {
            channel.close(promise: nil)
            return
        }
        phase = .running
        handle(.adminUp)
    }

    /// A datagram from the receive socket: a GTSM marker, or a packet to decode and hand to the state machine.
    func received(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard phase == .running || phase == .stopping else { return }
        if envelope.data.readableBytes == BFDSockets.hopLimitMarkerLength {
            return count(.hopLimitNot255, "a packet from \(envelope.remoteAddress) had a TTL or hop limit below 255")
        }
        guard let source = bfdIPAddress(envelope.remoteAddress) else { return }
        let packet: BFDControlPacket
        do {
            packet = try BFDControlPacket.decode(from: envelope.data)
        } catch {
            return count(error.reason, "from \(source): \(error.message)")
        }
        shared.status.withLock { $0.counters.packetsReceived += 1 }
        handle(.packetReceived(packet, from: source))
    }

    /// The receive socket reported an error (ICMP errors and the like): logged, the session goes on.
    func receiveError(_ error: any Error) {
        logger.debug("BFD receive socket error: \(error)")
    }

    /// The receive channel closed: unexpected unless the session is finishing.
    func channelInactive() {
        guard phase != .finished else { return }
        finish(BFDSessionError(.receiveSocketClosed, "BFD session with \(endpoint.peer): the receive socket closed"))
    }

    /// The task was cancelled: AdminDown, a short linger so the peer hears it, then close.
    func stop() {
        switch phase {
        case .starting:
            finish(nil)
        case .running:
            let wasTalking = machine.sessionState == .up || machine.sessionState == .initializing
            handle(.adminDown)
            phase = .stopping
            // The peer's Detection Time for us, at most a second: enough for a periodic AdminDown or three.
            let peersDetectionTime = Duration.microseconds(
                UInt64(machine.parameters.detectMultiplier) * UInt64(machine.transmitInterval))
            let linger = wasTalking ? min(peersDetectionTime, Self.maximumStopLinger) : .zero
            eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(linger)) { self.finish(nil) }
        case .stopping, .finished:
            break
        }
    }

    /// Closes everything and completes `closed` (with `error` when the session failed).
    func finish(_ error: (any Error)?) {
        guard phase != .finished else { return }
        phase = .finished
        for timer in BFDStateMachine.Timer.allCases { cancel(timer) }
        BFDSockets.closeSocket(transmitSocket)
        channel?.close(promise: nil)
        shared.status.withLock { $0.state = .adminDown }
        if let error { closed.fail(error) } else { closed.succeed() }
    }

    // MARK: Performing the state machine's actions

    private func handle(_ event: BFDStateMachine.Event) {
        for action in machine.handle(event) {
            switch action {
            case .send(let packet): send(packet)
            case .armTimer(let timer, let delay): arm(timer, after: delay)
            case .cancelTimer(let timer): cancel(timer)
            case .reportStateChange(let change): report(change)
            case .discard(let reason): count(reason, "by the session (state \(machine.sessionState))")
            }
        }
    }

    private func send(_ packet: BFDControlPacket) {
        sendBuffer.clear()
        packet.encode(into: &sendBuffer)
        let failure = sendBuffer.withUnsafeReadableBytes { BFDSockets.send($0, from: transmitSocket, to: endpoint) }
        shared.status.withLock { status in
            if failure == nil { status.counters.packetsSent += 1 } else { status.counters.sendFailures += 1 }
        }
        if let failure {
            // Once per run of failures: a link that is down fails every packet until it comes back.
            if !lastSendFailed {
                logger.warning("sending BFD to \(endpoint.peer) failed: \(String(cString: strerror(failure)))")
            }
            lastSendFailed = true
        } else {
            if lastSendFailed { logger.info("sending BFD to \(endpoint.peer) works again") }
            lastSendFailed = false
        }
    }

    /// Arms `timer`, replacing its previous deadline; a generation number makes a replaced timer that already
    /// fired (its task queued behind this one) do nothing.
    private func arm(_ timer: BFDStateMachine.Timer, after delay: Duration) {
        timers[timer]?.cancel()
        let generation = (generations[timer] ?? 0) &+ 1
        generations[timer] = generation
        timers[timer] = eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            guard self.generations[timer] == generation, self.phase == .running || self.phase == .stopping else {
                return
            }
            self.timers[timer] = nil
            self.handle(.timerFired(timer))
        }
    }

    private func cancel(_ timer: BFDStateMachine.Timer) {
        timers.removeValue(forKey: timer)?.cancel()
        generations[timer] = (generations[timer] ?? 0) &+ 1
    }

    private func report(_ change: BFDStateChange) {
        shared.status.withLock { status in
            status.state = change.state
            status.lastChange = change
        }
        shared.continuation.yield(change)
        let metadata: Logger.Metadata = [
            "bfd.state": "\(change.state)", "bfd.diagnostic": "\(change.diagnostic)",
            "bfd.remoteState": "\(change.remoteState)",
        ]
        if change.isPathFailure {
            logger.warning("BFD session with \(endpoint.peer) went down: \(change.diagnostic)", metadata: metadata)
        } else {
            logger.info("BFD session with \(endpoint.peer): \(change)", metadata: metadata)
        }
    }

    private func count(_ reason: BFDDiscardReason, _ message: String) {
        shared.status.withLock { $0.counters.discarded[reason, default: 0] += 1 }
        logger.debug("BFD packet discarded (\(reason)): \(message)")
    }
}

/// Feeds the receive channel's datagrams to the driver.
final class BFDReceiveHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let driver: BFDSessionDriver

    init(driver: BFDSessionDriver) {
        self.driver = driver
    }

    func channelActive(context: ChannelHandlerContext) {
        driver.channelActive(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.channelInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        driver.receiveError(error)
    }
}

/// The IP address of a datagram's source; nil for a Unix socket address.
///
/// Read from the raw `sockaddr` bytes: `sin_addr` at offset 4 (IPv4), `sin6_addr` at offset 8 (IPv6).
private func bfdIPAddress(_ address: SocketAddress) -> IPAddress? {
    let family: IPFamily
    switch address {
    case .v4: family = .ipv4
    case .v6: family = .ipv6
    case .unixDomainSocket: return nil
    }
    return address.withSockAddr { pointer, _ in
        let raw = UnsafeRawPointer(pointer)
        let (offset, count) = family == .ipv4 ? (4, 4) : (8, 16)
        let value = UnsafeRawBufferPointer(start: raw + offset, count: count)
            .reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return IPAddress(family: family, value: value)
    }
}
