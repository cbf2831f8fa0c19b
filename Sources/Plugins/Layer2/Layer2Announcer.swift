public import LBKernel
import Logging
import ServiceLifecycle
import Synchronization

/// The Layer 2 announcer (`plugin: layer2`): answers ARP (IPv4) and NDP (IPv6) for the service addresses this node
/// owns, and moves ownership to a healthy node within a fraction of a second when the owner dies.
///
/// Every node computes the same owner per service: the first of MetalLB's ranking (``OwnerElection``) among the
/// service's candidates (from the kernel: node selectors, endpoints, exclusions) that are alive. Liveness comes from
/// authenticated heartbeats between the nodes (``Membership``), not from Kubernetes. The owner announces a takeover
/// with gratuitous ARP / unsolicited NA (``Layer2Frames``) and answers requests through one libpcap handle per
/// interface (``PcapLink``, ``Responder``). Planned moves (SIGTERM, the node no longer eligible) are
/// make-before-break: the node keeps answering until it sees the next owner's announcement
/// (``OwnershipStateMachine``).
public final class Layer2Announcer: AnnouncementReporting, Plugin {
    /// `plugin: layer2`.
    public static let kind = "layer2"

    /// The plugin file's settings.
    public let configuration: Configuration
    let context: PluginContext
    let logger: Logger
    let events: AsyncStream<Event>
    let eventContinuation: AsyncStream<Event>.Continuation
    let exclusions: [InterfacePattern]
    let statusPath: String?
    /// The services this node owns (won the election for), after every change.
    public let announcementStates: AsyncStream<AnnouncementState>
    let stateContinuation: AsyncStream<AnnouncementState>.Continuation

    /// What the announcer's loop reacts to.
    enum Event: Sendable {
        case desired(DesiredSet)
        case membership(MembershipUpdate)
        case ready
        case claim(AddressClaim)
        case tick
        case scan
        case linkEnded(String)
        case shutdown
    }

    /// Checks the configuration (interface patterns, the heartbeat key file); starts nothing (``run()`` does).
    public init(configuration: Configuration, context: PluginContext) throws {
        self.configuration = configuration
        self.context = context
        self.logger = context.logger
        exclusions = try configuration.excludeInterfaces.map { try InterfacePattern($0) }
        statusPath = configuration.statusFile.map { context.resolve($0) }
        (events, eventContinuation) = AsyncStream.makeStream(of: Event.self)
        (announcementStates, stateContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        _ = try heartbeatKeys()
    }

    /// Makes the answered addresses follow `desired`: the node becomes a candidate for the services whose
    /// `layer2` is set, and answers for those it is elected for.
    public func apply(_ desired: DesiredSet) async throws {
        eventContinuation.yield(.desired(desired))
    }

    /// The heartbeat keys: `key` inline, or `keyFile` read now (relative to the plugin file's directory).
    func heartbeatKeys() throws -> [HeartbeatKey] {
        try configuration.heartbeat.keys(relativeTo: context.baseDirectory)
    }

    /// Runs heartbeats, link handles and the ownership state machine until graceful shutdown, then hands every owned
    /// address over (or gives up after `handoverTimeout`) and stops answering.
    public func run() async throws {
        let node = context.node.name
        let membership = try Membership(configuration: configuration.heartbeat, node: node, keys: try heartbeatKeys(),
                                    logger: logger)
        let answers = SharedAnswers()
        let links = LinkSet(answers: answers, logger: logger) { [eventContinuation] event in
            eventContinuation.yield(event)
        }
        var loop = Layer2Loop(
            node: node,
            machine: OwnershipStateMachine(node: node, settings: ownershipSettings),
            links: links, membership: membership, answers: answers, exclusions: exclusions,
            status: statusPath.map { StatusFileWriter(path: $0, logger: logger) }, logger: logger,
            ownedChanged: { [stateContinuation] in stateContinuation.yield(AnnouncementState(layer2Owned: $0)) })
        let hold = configuration.heartbeat.detectionTime
        let scanEvery = configuration.interfaceScanInterval.duration
        let continuation = eventContinuation
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                tasks.addTask {
                    do { try await membership.run() } catch is CancellationError {
                        // Cancelled once the loop below has ended: a normal stop.
                    }
                }
                tasks.addTask {
                    for await update in membership.updates { continuation.yield(.membership(update)) }
                }
                // The timers below end quietly when cancelled: cancellation is how the loop stops them.
                tasks.addTask {
                    // The startup hold: listen to the peers for one detection period before owning anything.
                    if (try? await Task.sleep(for: hold)) != nil { continuation.yield(.ready) }
                }
                tasks.addTask {
                    while !Task.isCancelled {
                        continuation.yield(.scan)
                        guard (try? await Task.sleep(for: scanEvery)) != nil else { return }
                    }
                }
                tasks.addTask {
                    // Deadlines of the state machine (gratuitous repeats, handover timeouts) are met to 10 ms.
                    while (try? await Task.sleep(for: .milliseconds(10))) != nil {
                        continuation.yield(.tick)
                    }
                }
                for await event in events {
                    if await loop.handle(event) { break }
                }
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            continuation.yield(.shutdown)
        }
        links.closeAll()
        stateContinuation.finish()
        logger.info("layer 2 announcer stopped")
    }

    var ownershipSettings: OwnershipStateMachine.Settings {
        OwnershipStateMachine.Settings(repeatEvery: configuration.gratuitous.repeatEvery.duration,
                                       repeatFor: configuration.gratuitous.repeatFor.duration,
                                       handoverTimeout: configuration.handoverTimeout.duration)
    }
}

/// The answer table the link readers consult for every request, and what they counted.
final class SharedAnswers: Sendable {
    private let table = Mutex(AnswerTable.empty)
    private let counters = Mutex(ResponderCounters())
    private let ourMACs = Mutex(Set<MACAddress>())

    /// The table in force.
    var current: AnswerTable { table.withLock { $0 } }

    /// Replaces the table.
    func set(_ new: AnswerTable) { table.withLock { $0 = new } }

    /// Counts one outcome.
    func count(_ outcome: ResponderOutcome) {
        counters.withLock { $0.count(outcome) }
    }

    /// Records the MAC addresses of every interface of the host.
    func setOurMACs(_ macs: Set<MACAddress>) { ourMACs.withLock { $0 = macs } }

    /// Whether `mac` belongs to one of the host's interfaces.
    func isOurs(_ mac: MACAddress) -> Bool { ourMACs.withLock { $0.contains(mac) } }

    /// What was counted so far.
    var counted: ResponderCounters { counters.withLock { $0 } }
}

/// Requests answered, claims seen and frames dropped (by reason), since start.
struct ResponderCounters: Sendable, Hashable, Codable {
    var replies = 0
    var claims = 0
    var drops: [String: Int] = [:]

    mutating func count(_ outcome: ResponderOutcome) {
        switch outcome {
        case .reply: replies += 1
        case .claim: claims += 1
        case .drop(let reason): drops[reason.rawValue, default: 0] += 1
        }
    }
}
