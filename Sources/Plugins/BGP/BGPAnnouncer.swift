public import LBKernel
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The BGP speaker (`plugin: bgp`): keeps a session with every peer of this node and announces the service
/// prefixes the kernel's desired set asks for, sending each peer only the difference from what it already has.
///
/// One ``PeerSession`` per peer (RFC 4271), with a BFD session (RFC 5880) when the peer names a BFD profile, and a
/// ``SessionListener`` for peers that connect to us. Peers come from the desired set (`bgpPeers`: the policy's
/// peers whose node selectors match this node), so adding, changing or removing a peer is a policy edit. On
/// graceful shutdown every session is closed with a Cease, which withdraws every route (RFC 4271 §6.7 / §9).
public final class BGPAnnouncer: Announcer, Plugin {
    /// `plugin: bgp`.
    public static let kind = "bgp"

    /// The plugin file's settings.
    public let configuration: Configuration
    let context: PluginContext
    let logger: Logger
    let commands: AsyncStream<Command>
    let commandContinuation: AsyncStream<Command>.Continuation
    let state: Mutex<State>

    /// Checks the configuration; starts nothing (``run()`` does).
    public init(configuration: Configuration, context: PluginContext) throws {
        self.configuration = configuration
        self.context = context
        self.logger = context.logger
        (commands, commandContinuation) = AsyncStream.makeStream(of: Command.self)
        state = Mutex(State())
    }

    /// Makes every session's Adj-RIB-Out equal to `desired`, and the set of sessions equal to its peers.
    ///
    /// Returns once the new set is queued: sessions send it as soon as they can (an Established session at once,
    /// one that is down when it comes up).
    public func apply(_ desired: DesiredSet) async throws {
        commandContinuation.yield(.apply(desired))
    }

    /// Runs the listener and the sessions until graceful shutdown, then closes every session with a Cease.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = SessionListener(configuration: listenerConfiguration, group: group, logger: logger)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                var listening = false
                var peers: [String: PeerRunner] = [:]
                for await command in commands {
                    guard case .apply(let desired) = command else { break }
                    // The listener starts once some peer needs it and then stays (a socket that comes and goes
                    // with policy edits would refuse a router's reconnect at the wrong moment).
                    if !listening && configuration.listen.listens(for: desired.bgpPeers) {
                        listening = true
                        tasks.addTask { [logger] in
                            do {
                                try await listener.run()
                            } catch {
                                // Sessions that connect out still work; passive peers stay down until a restart.
                                let port = self.configuration.listenPort
                                logger.error("""
                                    BGP listener: cannot accept connections: \(error); passive peers cannot connect \
                                    (is another BGP daemon on port \(port)?)
                                    """)
                            }
                        }
                    }
                    peers = await reconcile(peers, desired: desired, listener: listener, tasks: &tasks, group: group)
                }
                await withDiscardingTaskGroup { stopping in
                    for runner in peers.values {
                        stopping.addTask { await runner.stop(reason: self.shutdownReason) }
                    }
                }
                await listener.setSessions([])
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            self.commandContinuation.yield(.shutdown)
        }
    }

    /// Starts, restarts and stops sessions so that they match `desired.bgpPeers`, then hands `desired` to each.
    private func reconcile(_ current: [String: PeerRunner], desired: DesiredSet, listener: SessionListener,
                           tasks: inout ThrowingDiscardingTaskGroup<any Error>, group: any EventLoopGroup) async
        -> [String: PeerRunner] {
        var next: [String: PeerRunner] = [:]
        var stopped: [(PeerRunner, SessionStopReason)] = []
        let wanted = Dictionary(desired.bgpPeers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, runner) in current where wanted[name] == nil {
            stopped.append((runner, .peerDeconfigured))
        }
        for peer in desired.bgpPeers {
            let settings: PeerRunner.Settings
            do {
                settings = try peerSettings(peer, desired: desired)
            } catch {
                // Bad input keeps the last good state: a running session goes on with the settings it had.
                if let runner = current[peer.name] {
                    logger.error("BGP peer \(peer.name): \(error); the session keeps its last good settings")
                    next[peer.name] = runner
                } else {
                    logger.error("BGP peer \(peer.name): \(error); the session is not started")
                }
                continue
            }
            if let runner = current[peer.name] {
                if runner.settings == settings {
                    next[peer.name] = runner
                    continue
                }
                logger.info("BGP peer \(peer.name): configuration changed; restarting the session")
                stopped.append((runner, .configurationChanged))
            }
            let runner = PeerRunner(settings: settings, group: group, logger: logger,
                                    restarting: state.withLock { $0.startedPeers.insert(peer.name).inserted })
            next[peer.name] = runner
            tasks.addTask { await runner.run() }
        }
        for (runner, reason) in stopped {
            await runner.stop(reason: reason)
        }
        await listener.setSessions(next.values.map(\.session))
        for runner in next.values { runner.push(desired) }
        return next
    }

    /// What a session with `peer` needs, from the peer, this plugin's settings and the desired set's BFD profiles.
    private func peerSettings(_ peer: BGPPeer, desired: DesiredSet) throws -> PeerRunner.Settings {
        let password = try PeerPassword.resolve(for: peer, file: configuration.passwordFiles[peer.name]
                                                    .map { context.resolve($0) })
        var bfd: BFDProfile?
        if let name = peer.bfdProfile {
            guard let profile = desired.bfdProfiles[name] else {
                throw PeerRunner.SettingsError("names BFD profile '\(name)', which the policy does not define")
            }
            bfd = profile
        }
        let localAddress = peer.sourceAddress ?? peer.peerAddress.flatMap { LocalAddressProbe.source(towards: $0) }
        let interfaceIPv4: IPv4Address? = switch localAddress.flatMap(InterfaceAddresses.holding)?.first(.ipv4) {
        case .v4(let address)?: address
        default: nil
        }
        let routerID = RouterID.choose(peer: peer, configured: configuration.routerID, localAddress: localAddress,
                                       interfaceIPv4: interfaceIPv4, nodeName: context.node.name)
        return PeerRunner.Settings(peer: peer, password: password, routerID: routerID, bfd: bfd,
                                   plugin: configuration)
    }

    /// How sessions end on graceful shutdown: a Cease that withdraws everything, or (``Configuration/keepRoutesOnShutdown``)
    /// a silent close that peers with graceful restart treat as a restart, keeping the routes (RFC 4724 §4.2).
    var shutdownReason: SessionStopReason {
        configuration.keepRoutesOnShutdown ? .gracefulRestart : .administrativeShutdown(message: "lbd stopping")
    }

    private var listenerConfiguration: SessionListener.Configuration {
        configuration.listenAddresses.isEmpty
            ? SessionListener.Configuration(port: Int(configuration.listenPort))
            : SessionListener.Configuration(addresses: configuration.listenAddresses,
                                            port: Int(configuration.listenPort))
    }

    /// What ``run()`` reacts to.
    enum Command: Sendable {
        /// A new desired set.
        case apply(DesiredSet)
        /// Graceful shutdown began.
        case shutdown
    }

    /// What the announcer remembers across ``apply(_:)`` calls.
    struct State: Sendable {
        /// Peers that had a session since the process started: the first one of each sets the graceful restart R bit.
        var startedPeers: Set<String> = []
    }
}
