import LBKernel
import Logging
import NIOCore
import Synchronization

extension PeerSession {
    /// The state ``PeerSession/run()`` owns: the state machines (one per connection), their connections and timers.
    ///
    /// The main machine (``primary``) makes the outgoing connections and takes incoming ones while it has none. An
    /// incoming connection that arrives while the main one is opening (OpenSent, OpenConfirm) gets a machine of its
    /// own (``secondary``) until ``SessionCollisionResolver`` picks the one to close (RFC 4271 §6.8).
    struct Driver {
        /// One state machine and its connection.
        struct Slot {
            /// The machine's number (timers are keyed by it).
            var id: UInt64
            var machine: SessionStateMachine
            /// The connection once TCP is up.
            var connection: BGPConnection?
            /// The outgoing connection attempt in progress.
            var pendingConnect: UInt64?
            /// The last write on the connection, so a close waits for a NOTIFICATION to go out.
            var lastWrite: EventLoopFuture<Void>?
            /// The generation of the Established session on this machine.
            var generation: UInt64?
        }

        /// Which slot.
        enum Which: CustomStringConvertible {
            case primary, secondary

            var description: String { self == .primary ? "main" : "collision" }
        }

        let session: PeerSession
        var primary: Slot
        var secondary: Slot?
        var timers: TimerTable
        let resolver: SessionCollisionResolver
        var lastMachineID: UInt64 = 1
        var lastGeneration: UInt64 = 0
        var consecutiveConnectTimeouts = 0
        /// Events of the outgoing connection that came before its connect result: a peer that sends its OPEN the
        /// moment it accepts (BIRD, passive) can be read before the connect future's callback is handled.
        var earlyEvents: [(UInt64, BGPConnection.Event)] = []

        var logger: Logger { session.logger }

        /// Logs `text` (built with `+` across lines, which `Logger.Message` literals do not allow).
        func log(_ level: Logger.Level, _ text: String) {
            logger.log(level: level, "\(text)")
        }
        var name: String { session.name }

        init(session: PeerSession) {
            self.session = session
            let configuration = session.configuration.session
            primary = Slot(id: 1, machine: SessionStateMachine(configuration: configuration))
            let continuation = session.inputContinuation
            timers = TimerTable(loop: session.timerLoop) { key, token in
                continuation.yield(.timerFired(key, token: token))
            }
            resolver = SessionCollisionResolver(localIdentifier: configuration.localIdentifier,
                                                localAS: configuration.localAS)
        }

        subscript(which: Which) -> Slot? {
            get { which == .primary ? primary : secondary }
            set {
                if which == .primary { primary = newValue! } else { secondary = newValue }
            }
        }

        /// Starts the main machine (ManualStart, or the passive variant for a passive peer).
        mutating func start() {
            let peer = session.configuration.peer
            log(.info, "BGP peer \(name): starting session with \(peer.peerAddress.map { "\($0)" } ?? "?") port "
                + "\(peer.peerPort)\(session.configuration.session.passive ? " (passive: waiting for the peer)" : "")"
                + (session.configuration.password != nil ? " with TCP-MD5" : ""))
            feed(.primary, .manualStart)
            publishState()
        }

        /// Publishes the session's state: the main machine's, or Established when the collision machine is.
        func publishState() {
            let state = secondary?.machine.state == .established ? .established : primary.machine.state
            session.shared.withLock { $0.state = state }
        }

        /// Handles one input.
        mutating func handle(_ input: Input) {
            switch input {
            case .connection(let id, let event):
                connectionEvent(id, event)
            case .connectFinished(let id, let result):
                connectFinished(id, result)
            case .incoming(let connection):
                incoming(connection)
            case .timerFired(let key, let token):
                guard timers.fired(key, token: token) else { return }
                if key.machine == primary.id {
                    feed(.primary, .timerExpired(key.timer))
                } else if key.machine == secondary?.id {
                    feed(.secondary, .timerExpired(key.timer))
                }
            case .tearDown(let reason):
                logger.notice("BGP peer \(name): tearing the session down: \(reason)")
                if secondary != nil { feed(.secondary, .manualStop(reason)) }
                feed(.primary, .automaticStop(reason))
            case .updateSent(let generation):
                if primary.generation == generation {
                    feed(.primary, .updateSent)
                } else if secondary?.generation == generation {
                    feed(.secondary, .updateSent)
                }
            case .stop:
                preconditionFailure("run() handles .stop itself")
            }
            settle()
            publishState()
        }

        /// Stops everything: the Cease on each open connection, then a bounded wait for the closes.
        mutating func finish(_ reason: SessionStopReason) async {
            logger.info("BGP peer \(name): stopping: \(reason)")
            let graceful = Set([primary.connection?.id, secondary?.connection?.id].compactMap { $0 })
            if secondary != nil { feed(.secondary, .manualStop(reason)) }
            feed(.primary, .manualStop(reason))
            publishState()
            timers.stopAll()
            let live = session.shared.withLock { shared in
                shared.closed = true
                return shared.liveChannels
            }
            // Connections that never reached a machine (still queued, or given up) close at once.
            for (id, channel) in live where !graceful.contains(id) { channel.close(mode: .all, promise: nil) }
            let channels = Array(live.values)
            let loop = session.timerLoop
            let all = EventLoopFuture.andAllComplete(channels.map(\.closeFuture), on: loop)
            let deadline = loop.makePromise(of: Void.self)
            let timeout = loop.scheduleTask(in: TimeAmount(session.configuration.shutdownTimeout)) {
                deadline.succeed()
            }
            all.cascade(to: deadline)
            try? await deadline.futureResult.get()
            timeout.cancel()
            for channel in channels { channel.close(mode: .all, promise: nil) }
        }

        // MARK: Inputs

        private mutating func connectionEvent(_ id: UInt64, _ event: BGPConnection.Event) {
            let which: Which
            if primary.connection?.id == id {
                which = .primary
            } else if secondary?.connection?.id == id {
                which = .secondary
            } else if primary.pendingConnect == id {
                earlyEvents.append((id, event))  // replayed once the connect result is handled
                return
            } else {
                return  // a connection that was already given up
            }
            switch event {
            case .message(let message):
                if case .routeRefresh = message { session.shared.withLock { $0.statistics.routeRefreshesReceived += 1 } }
                feed(which, .messageReceived(message))
            case .updates(let count, let ignored):
                session.shared.withLock { shared in
                    shared.statistics.updatesReceived += count
                    shared.statistics.updatesReceivedThisSession += count
                    shared.statistics.malformedUpdatesIgnored += ignored
                }
                if ignored > 0 {
                    logger.debug("BGP peer \(name): \(ignored) UPDATE(s) with RFC 7606 errors ignored")
                }
                // The routes are dropped; the machine only needs to know that UPDATEs came (hold timer, or an
                // FSM error before Established).
                feed(which, .messageReceived(.update(UpdateMessage())))
            case .decodeError(let error):
                feed(which, .decodeFailed(error))
            case .closed(let error):
                if let error { logger.debug("BGP peer \(name): connection \(id) closed: \(error)") }
                feed(which, .tcpConnectionFails)
            }
        }

        private mutating func connectFinished(_ id: UInt64, _ result: Result<BGPConnection, any Error>) {
            guard primary.pendingConnect == id else {
                if case .success(let connection) = result { connection.close() }  // given up already
                return
            }
            primary.pendingConnect = nil
            if case .failure = result { earlyEvents = [] }
            switch result {
            case .success(let connection):
                consecutiveConnectTimeouts = 0
                primary.connection = connection
                logger.debug("BGP peer \(name): \(connection)")
                feed(.primary, .tcpConnectionAcknowledged)
                let early = earlyEvents.filter { $0.0 == id }
                earlyEvents = []
                for (earlyID, event) in early { connectionEvent(earlyID, event) }
            case .failure(let error):
                if case ChannelError.connectTimeout = error { connectTimedOut() }
                let level: Logger.Level = error is SocketOptions.Failure || error is TCPMD5.Failure ? .error : .info
                logger.log(level: level, "BGP peer \(name): connecting to \(peerEndpoint) failed: \(error)")
                feed(.primary, .tcpConnectionFails)
            }
        }

        private mutating func connectTimedOut() {
            consecutiveConnectTimeouts += 1
            session.shared.withLock { $0.statistics.connectTimeouts += 1 }
            let limit = session.configuration.md5MismatchHintAfter
            if session.configuration.password != nil, consecutiveConnectTimeouts == limit {
                log(.warning, "BGP peer \(name): \(limit) connection attempts to \(peerEndpoint) in a row timed "
                    + "out: possible TCP-MD5 mismatch (a wrong or missing password on either side makes the kernel "
                    + "drop the SYNs without an answer)")
            }
        }

        private var peerEndpoint: String {
            let peer = session.configuration.peer
            return "\(peer.peerAddress.map { "\($0)" } ?? "?") port \(peer.peerPort)"
        }

        // MARK: The machines

        /// Feeds one event to a machine, logs its state change and performs its actions.
        mutating func feed(_ which: Which, _ event: SessionStateMachine.Event) {
            guard var slot = self[which] else { return }
            let before = slot.machine.state
            let abandonsAttempt = event == .timerExpired(.connectRetry) && slot.pendingConnect != nil
            let actions = slot.machine.handle(event)
            let after = slot.machine.state
            self[which] = slot
            if before != after {
                let level: Logger.Level = after == .established || before == .established ? .notice : .info
                log(level, "BGP peer \(name): \(before) -> \(after) (\(Self.describe(event)))"
                    + (which == .secondary ? " on the collision connection" : ""))
            }
            if abandonsAttempt { connectTimedOut() }
            for action in actions { perform(action, on: which) }
            // The decoder waits after an OPEN until it knows the options the OPEN exchange settled.
            if case .messageReceived(.open) = event, let negotiated = self[which]?.machine.negotiated,
               let connection = self[which]?.connection {
                connection.resume(options: negotiated.codecOptions)
            }
        }

        private mutating func perform(_ action: SessionStateMachine.Action, on which: Which) {
            guard var slot = self[which] else { return }
            defer { self[which] = slot }
            switch action {
            case .connect:
                guard which == .primary else { return }
                let id = session.nextConnectionID()
                slot.pendingConnect = id
                session.shared.withLock { $0.statistics.connectAttempts += 1 }
                logger.debug("BGP peer \(name): connecting to \(peerEndpoint) (connection \(id))")
                session.startConnect(id: id)
            case .closeConnection:
                slot.pendingConnect = nil
                if let connection = slot.connection {
                    closeAfterWrites(connection, lastWrite: slot.lastWrite)
                }
                slot.connection = nil
                slot.lastWrite = nil
            case .send(let message):
                guard let connection = slot.connection else { return }
                let options = slot.machine.negotiated?.codecOptions ?? BGPCodecOptions()
                if case .notification(let notification) = message {
                    logger.notice("BGP peer \(name): sending \(notification)")
                }
                slot.lastWrite = connection.send(message, options: options)
            case .startTimer(let timer, let duration):
                timers.start(TimerKey(machine: slot.id, timer: timer), after: duration)
            case .stopTimer(let timer):
                timers.stop(TimerKey(machine: slot.id, timer: timer))
            case .established(let negotiated):
                guard let connection = slot.connection else { return }
                lastGeneration += 1
                slot.generation = lastGeneration
                established(negotiated, on: connection, generation: lastGeneration)
            case .sessionDown(let reason, let wasEstablished):
                if wasEstablished {
                    logger.warning("BGP peer \(name): session down: \(reason)")
                    let generation = slot.generation
                    session.shared.withLock { shared in
                        if shared.established?.info.generation == generation { shared.established = nil }
                    }
                    slot.generation = nil
                    session.eventContinuation.yield(.down(reason))
                } else {
                    logger.info("BGP peer \(name): connection attempt ended: \(reason)")
                }
            case .deliverUpdate:
                break  // counted when received; lbd keeps no received routes
            case .deliverRouteRefresh(let refresh):
                logger.info("BGP peer \(name): ROUTE-REFRESH for \(refresh.family)")
                session.eventContinuation.yield(.routeRefresh(refresh.family))
            case .ignoredMalformedUpdate(let error):
                logger.debug("BGP peer \(name): UPDATE ignored: \(error)")
            }
        }

        private func established(_ negotiated: NegotiatedSession, on connection: BGPConnection, generation: UInt64) {
            guard let local = connection.localAddress, let remote = connection.remoteAddress else { return }
            let info = Established(localAddress: local, peerAddress: remote,
                                   localLinkLocal: LinkLocal.onLink(local: local, peer: remote),
                                   negotiated: negotiated, codecOptions: negotiated.codecOptions,
                                   generation: generation)
            session.shared.withLock { shared in
                shared.established = EstablishedLink(info: info, connection: connection)
                shared.statistics.established += 1
                shared.statistics.updatesReceivedThisSession = 0
            }
            log(.notice, "BGP peer \(name): Established with AS \(negotiated.peerAS) router ID "
                + "\(negotiated.peerIdentifier) from \(local) to \(remote): hold \(negotiated.holdTime) s, families "
                + "\(negotiated.families.map(\.description).joined(separator: ", ")), generation \(generation)")
            session.eventContinuation.yield(.established(info))
        }

        /// Closes `connection` once `lastWrite` (a NOTIFICATION, usually) is written, or after the shutdown timeout.
        func closeAfterWrites(_ connection: BGPConnection, lastWrite: EventLoopFuture<Void>?) {
            let channel = connection.channel
            let force = channel.eventLoop.scheduleTask(in: TimeAmount(session.configuration.shutdownTimeout)) {
                channel.close(mode: .all, promise: nil)
            }
            (lastWrite ?? channel.eventLoop.makeSucceededVoidFuture()).whenComplete { _ in
                force.cancel()
                channel.close(mode: .all, promise: nil)
            }
        }

        /// An event in words, for the state change log.
        static func describe(_ event: SessionStateMachine.Event) -> String {
            switch event {
            case .manualStart: "start"
            case .manualStop(let reason), .automaticStop(let reason): "stop: \(reason)"
            case .automaticStart: "automatic start"
            case .manualStartPassive, .automaticStartPassive: "passive start"
            case .timerExpired(let timer): "\(timer) expired"
            case .tcpConnectionAcknowledged: "our connection is up"
            case .tcpConnectionConfirmed: "the peer's connection is accepted"
            case .tcpConnectionFails: "the connection failed or closed"
            case .messageReceived(.notification(let notification)): "received \(notification)"
            case .messageReceived(let message): "received \(message.kind)"
            case .decodeFailed(let error): "malformed message: \(error)"
            case .openCollisionDump: "lost the connection collision"
            case .updateSent: "UPDATE sent"
            }
        }
    }
}
