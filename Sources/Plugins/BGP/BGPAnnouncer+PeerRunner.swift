import LBKernel
import Logging
import NIOCore
import Synchronization

extension BGPAnnouncer {
    /// One peer's session and the loop that keeps its Adj-RIB-Out equal to the desired set.
    ///
    /// Everything the peer is sent goes through one loop (``sendLoop()``), so diffs are computed and written in
    /// order, and a burst of desired sets collapses into the latest one. Nothing is sent before the first desired
    /// set arrives: after a restart with graceful restart, the peer keeps our old routes until the End-of-RIB that
    /// follows the complete table (RFC 4724 §4.1), so sending End-of-RIB early would flush them.
    final class PeerRunner: Sendable {
        /// What a session is built from; a change restarts the session.
        struct Settings: Equatable, Sendable {
            var peer: BGPPeer
            var password: String?
            var routerID: IPv4Address
            var bfd: BFDProfile?
            var plugin: Configuration
        }

        /// A peer that cannot be started, with why.
        struct SettingsError: Error, CustomStringConvertible {
            var description: String
            init(_ description: String) { self.description = description }
        }

        let settings: Settings
        let session: PeerSession
        /// The BFD session watching the path to the peer, when the peer names a BFD profile.
        let bfd: BFDSession?
        let logger: Logger
        let inputs: AsyncStream<Input>
        let inputContinuation: AsyncStream<Input>.Continuation
        /// The latest desired set and its number, taken by the loop when it wakes (so bursts coalesce).
        let latest: Mutex<(version: UInt64, desired: DesiredSet)?>

        enum Input: Sendable {
            case desiredChanged
            case session(PeerSession.Event)
            case bfdDown
        }

        init(settings: Settings, group: any EventLoopGroup, logger: Logger, restarting: Bool) {
            self.settings = settings
            var logger = logger
            logger[metadataKey: "bgp.peer"] = "\(settings.peer.name)"
            self.logger = logger
            var configuration = PeerSession.Configuration(
                peer: settings.peer, routerID: settings.routerID, password: settings.password,
                gracefulRestarting: restarting && settings.peer.enableGracefulRestart,
                extendedMessages: settings.plugin.extendedMessages)
            Self.applyPluginDefaults(settings, to: &configuration.session)
            session = PeerSession(configuration: configuration, group: group, logger: logger)
            if let profile = settings.bfd, let address = settings.peer.peerAddress {
                bfd = BFDSession(configuration: BFDSession.Configuration(
                                    peer: address, localAddress: settings.peer.sourceAddress,
                                    interface: settings.peer.vrf, profile: profile),
                                 eventLoopGroup: group, logger: logger)
            } else {
                bfd = nil
            }
            (inputs, inputContinuation) = AsyncStream.makeStream(of: Input.self)
            latest = Mutex(nil)
        }

        /// Hands the loop a new desired set.
        func push(_ desired: DesiredSet) {
            latest.withLock { $0 = (($0?.version ?? 0) + 1, desired) }
            inputContinuation.yield(.desiredChanged)
        }

        /// Runs the session and the send loop until ``stop(reason:)``.
        func run() async {
            await withDiscardingTaskGroup { tasks in
                // The session starts once the loop has prepared the first table (see sendLoop).
                let (starts, start) = AsyncStream.makeStream(of: Void.self)
                tasks.addTask {
                    var iterator = starts.makeAsyncIterator()
                    guard await iterator.next() != nil else { return }
                    do {
                        try await self.session.run()
                    } catch {
                        self.logger.error("BGP peer \(self.settings.peer.name): \(error)")
                    }
                }
                tasks.addTask {
                    for await event in self.session.events { self.inputContinuation.yield(.session(event)) }
                }
                if let bfd = self.bfd {
                    for ignored in bfd.configuration.ignoredSettings {
                        self.logger.warning("BGP peer \(self.settings.peer.name): BFD profile setting ignored: \(ignored)")
                    }
                    tasks.addTask {
                        do {
                            try await bfd.run()
                        } catch {
                            self.logger.error("BGP peer \(self.settings.peer.name): BFD session failed: \(error)")
                        }
                    }
                    tasks.addTask {
                        for await change in bfd.stateChanges {
                            self.logger.info("BGP peer \(self.settings.peer.name): BFD \(change)")
                            // RFC 5882 §4.3 / §10.2: a path failure takes the BGP session down at once; the
                            // peer's AdminDown is not one (RFC 5882 §3.2).
                            if change.isPathFailure {
                                self.inputContinuation.yield(.bfdDown)
                            }
                        }
                    }
                }
                await self.sendLoop(startSession: { start.yield(); start.finish() })
                start.finish()
                // stop() ended the loop and the session: what is left (BFD) stops with an AdminDown.
                tasks.cancelAll()
            }
        }

        /// Puts this plugin's defaults into `session` for what the peer leaves unset.
        static func applyPluginDefaults(_ settings: Settings, to session: inout SessionConfiguration) {
            let peer = settings.peer
            let plugin = settings.plugin
            if peer.holdTime == nil && peer.keepaliveTime == nil {
                session.holdTime = UInt16(clamping: plugin.holdTime.nanoseconds / 1_000_000_000)
            }
            if peer.connectTime == nil {
                session.connectRetry.initialDelay = .nanoseconds(plugin.connectRetry.initial.nanoseconds)
                session.connectRetry.maximumDelay = .nanoseconds(plugin.connectRetry.maximum.nanoseconds)
            }
            if session.gracefulRestart != nil {
                session.gracefulRestart!.restartTime =
                    UInt16(clamping: min(plugin.gracefulRestartTime.nanoseconds / 1_000_000_000, 4095))
            }
        }

        /// Closes the session with the Cease `reason` calls for, and ends the loop (and with it the BFD session).
        func stop(reason: SessionStopReason) async {
            await session.shutdown(reason: reason)
            inputContinuation.finish()
        }

        /// Keeps the peer's Adj-RIB-Out equal to the latest desired set while the session is Established.
        ///
        /// While the session is not Established the loop prepares the full table (routes selected, UPDATEs encoded)
        /// for the session it expects, so that on Established the table goes out at once; the session itself is
        /// started only once the first table is prepared. When the session turns out different from the expected
        /// one (another local address, no 4-octet AS), the table is computed again then.
        func sendLoop(startSession: () -> Void) async {
            var ribOut = AdjRIBOut()
            var established: PeerSession.Established?
            var prepared: PreparedTable?
            var sessionStarted = false
            var needsEndOfRIB = false
            var refresh: Set<AddressFamily> = []
            var lastNotSent: [PeerRoutes.NotSentReason: Int] = [:]
            func logNotSent(_ notSent: [PeerRoutes.NotSentReason: Int]) {
                guard notSent != lastNotSent else { return }
                for (reason, count) in notSent.sorted(by: { $0.key < $1.key }) {
                    logger.warning("BGP peer \(settings.peer.name): \(count) prefix(es) not sent: \(reason)")
                }
                lastNotSent = notSent
            }
            for await input in inputs {
                var fromPrepared: PreparedTable?
                switch input {
                case .desiredChanged:
                    if established == nil, let (version, desired) = latest.withLock({ $0 }) {
                        prepared = PreparedTable(version: version, desired: desired, settings: settings)
                        if !sessionStarted {
                            sessionStarted = true
                            startSession()
                        }
                        continue
                    }
                case .session(.established(let info)):
                    established = info
                    ribOut.reset()
                    needsEndOfRIB = true
                    refresh = []
                    logger.info("BGP peer \(settings.peer.name): Established with \(info.peerAddress) from \(info.localAddress); families \(info.negotiated.families.sorted().map(\.description).joined(separator: ", "))")
                    if let table = prepared, table.version == latest.withLock({ $0?.version }),
                       table.matches(info, view: sessionView(info)) {
                        fromPrepared = table
                    }
                    prepared = nil
                case .session(.down(let reason)):
                    if established != nil {
                        // PeerSession logs the state change with its reason; this only marks the table as gone.
                        logger.debug("BGP peer \(settings.peer.name): session down, Adj-RIB-Out cleared: \(reason)")
                    }
                    established = nil
                    ribOut.reset()
                    if let (version, desired) = latest.withLock({ $0 }) {
                        prepared = PreparedTable(version: version, desired: desired, settings: settings)
                    }
                    continue
                case .session(.routeRefresh(let family)):
                    refresh.insert(family)
                case .bfdDown:
                    session.tearDown(reason: .bfdDown)
                    continue
                }
                guard let info = established, let desired = latest.withLock({ $0?.desired }) else { continue }
                let changes: AdjRIBOut.Changes
                if let table = fromPrepared {
                    ribOut = table.ribOut
                    logNotSent(table.notSent)
                    changes = AdjRIBOut.Changes()
                } else {
                    let selection = PeerRoutes.select(desired, for: settings.peer, session: sessionView(info))
                    logNotSent(selection.notSent)
                    changes = ribOut.update(to: selection.table)
                }
                // ROUTE-REFRESH (RFC 2918 §4): the family's whole Adj-RIB-Out again, after the diff.
                let refreshes = refresh.sorted().map { ribOut.refresh($0) }
                refresh = []
                let endOfRIB = needsEndOfRIB ? info.negotiated.endOfRIBFamilies : []
                guard fromPrepared != nil || !changes.isEmpty || !endOfRIB.isEmpty
                        || refreshes.contains(where: { !$0.isEmpty }) else {
                    continue
                }
                do {
                    try await session.send(generation: info.generation) { buffer, options in
                        var messages = 0
                        if let table = fromPrepared {
                            buffer.writeImmutableBuffer(table.bytes)
                            messages += table.messages
                        }
                        messages += changes.encode(options: options, into: &buffer)
                        for again in refreshes { messages += again.encode(options: options, into: &buffer) }
                        for family in endOfRIB {
                            BGPMessage.update(.endOfRIB(family)).encode(into: &buffer, options: options)
                            messages += 1
                        }
                        return messages
                    }
                    if needsEndOfRIB {
                        logger.info("BGP peer \(settings.peer.name): sent the full table (\(ribOut.count) prefixes\(fromPrepared != nil ? ", prepared before Established" : "")) and End-of-RIB")
                    }
                    needsEndOfRIB = false
                } catch {
                    // The session went down while sending: the next Established sends the full table again.
                    logger.info("BGP peer \(settings.peer.name): \(error)")
                    established = nil
                    ribOut.reset()
                }
            }
        }

        /// The route-selection view of an Established session: with `dualStackAddressFamily`, the next hop of the
        /// other family is this node's address of that family on the interface the session runs over.
        private func sessionView(_ info: PeerSession.Established) -> PeerRoutes.Session {
            guard settings.peer.dualStackAddressFamily else { return PeerRoutes.Session(info) }
            let other: IPFamily = info.localAddress.family == .ipv4 ? .ipv6 : .ipv4
            return PeerRoutes.Session(info, otherFamilyAddress: InterfaceAddresses.holding(info.localAddress)?.first(other))
        }
    }
}
