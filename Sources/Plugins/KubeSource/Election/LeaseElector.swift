// LeaseElector: the async shell of LeaseElectionStateMachine: it performs the machine's GET/POST/PUT on the Lease
// (each bounded by the deadline the machine gives), sleeps between attempts, and publishes the role.
public import Logging
import Foundation
import ServiceLifecycle
import Synchronization

/// Holds the allocating role through a `coordination.k8s.io/v1` Lease, with client-go's leader election rules
/// (see ``LeaseElectionStateMachine``): exactly one lbd leads at a time, a leader that cannot renew stops before
/// anyone else may take over, and a leader that shuts down releases the Lease so another takes over at once.
///
/// Run it with ``run()``; read ``isLeading`` before every write that only the leader may make.
public final class LeaseElector: Sendable {
    /// Which Lease, who this lbd is, and the timing (client-go's `LeaderElectionConfig`): the machine's.
    public typealias Configuration = LeaseElectionStateMachine.Configuration

    /// True while this lbd leads; yields the current value at every change (first value false, at once).
    public let roles: AsyncStream<Bool>
    private let output: AsyncStream<Bool>.Continuation
    private let client: KubeClient
    private let configuration: Configuration
    private let logger: Logger
    /// The instant the leader's role ends unless renewed; nil when not leading.
    private let leadingUntil = Mutex<ContinuousClock.Instant?>(nil)

    /// Creates an elector; nothing runs until ``run()``.
    ///
    /// A configuration without `retryPeriod < renewDeadline < leaseDuration` or with an empty identity is a
    /// programming error (the plugin's configuration is checked when it is decoded) and traps.
    public init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.name)"
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        self.logger = logger
        (roles, output) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        output.yield(false)
    }

    /// Whether this lbd leads now (checked before every write).
    ///
    /// It turns false by itself at the leader's renew deadline, even before the state machine has noticed.
    public var isLeading: Bool {
        leadingUntil.withLock { until in until.map { ContinuousClock.now < $0 } ?? false }
    }

    /// Runs until cancelled (or graceful shutdown); on the way out releases the Lease if it leads, then finishes
    /// ``roles``. Run it once.
    public func run() async {
        await cancelWhenGracefulShutdown { [self] in await loop() }
        leadingUntil.withLock { $0 = nil }
        output.finish()
    }

    private var path: String { KubeLease.path(namespace: configuration.namespace, name: configuration.name) }

    private func loop() async {
        var machine = LeaseElectionStateMachine(configuration: configuration)
        var event = LeaseElectionStateMachine.Event.tick
        var shuttingDown = false
        while true {
            if Task.isCancelled, !shuttingDown { event = .shutdown }
            if case .shutdown = event { shuttingDown = true }
            let actions = machine.handle(event, now: .now, wallClock: Date())
            leadingUntil.withLock { $0 = machine.leadingUntil }
            var next: LeaseElectionStateMachine.Event?
            for action in actions {
                switch action {
                case .becameLeader:
                    logger.info("became the allocating leader")
                    output.yield(true)
                case .stoppedLeading(let reason):
                    logger.info("stopped leading: \(reason)")
                    output.yield(false)
                case .leaderIs(let holder):
                    if holder.isEmpty {
                        logger.info("the Lease has no holder")
                    } else {
                        logger.info("leader is \(holder)")
                    }
                case .wait(let until):
                    do {
                        try await Task.sleep(until: until, clock: .continuous)
                        next = .tick
                    } catch {
                        next = .shutdown
                    }
                case .finish:
                    return
                case .get, .create, .update:
                    if shuttingDown {
                        // The release must go out although this task is cancelled: run it in a task of its own.
                        next = await Task { [self] in await perform(action) }.value
                    } else {
                        let result = await perform(action)
                        next = Task.isCancelled ? .shutdown : result
                    }
                }
            }
            guard let next else {
                preconditionFailure("the Lease election state machine gave no next step for \(event): \(actions)")
            }
            event = next
        }
    }

    /// Performs one request action, bounded by its deadline, and returns its result as an event.
    private func perform(_ action: LeaseElectionStateMachine.Action) async -> LeaseElectionStateMachine.Event {
        switch action {
        case .get(let deadline):
            do {
                let lease = try await bounded("GET \(path)", until: deadline) { [client, path] in
                    try await client.get(path, as: KubeLease.self)
                }
                return .gotLease(lease)
            } catch let error as KubeError where error.isNotFound {
                return .leaseNotFound
            } catch {
                logger.debug("could not get the Lease", metadata: ["error": "\(error)"])
                return .getFailed("\(error)")
            }
        case .create(let lease, let deadline):
            let collection = KubeLease.collectionPath(namespace: configuration.namespace)
            return await write("POST \(collection)", until: deadline) { [client] in
                try await client.create(collection, body: try KubeClient.encode(lease))
            }
        case .update(let lease, _, let deadline):
            return await write("PUT \(path)", until: deadline) { [client, path] in
                try await client.update(path, body: try KubeClient.encode(lease))
            }
        default:
            preconditionFailure("not a request: \(action)")
        }
    }

    private func write(_ request: String, until deadline: ContinuousClock.Instant,
                       _ body: @escaping @Sendable () async throws -> [UInt8]) async
        -> LeaseElectionStateMachine.Event {
        do {
            let bytes = try await bounded(request, until: deadline, body)
            return .wrote(try KubeClient.decode(KubeLease.self, from: bytes))
        } catch let error as KubeError where error.isConflict {
            logger.debug("the Lease changed before it could be written", metadata: ["error": "\(error)"])
            return .writeConflict("\(error)")
        } catch {
            logger.notice("could not write the Lease", metadata: ["error": "\(error)"])
            return .writeFailed("\(error)")
        }
    }

    /// No answer before the deadline the state machine set for a request.
    struct DeadlineExceeded: Error, CustomStringConvertible {
        /// `GET /apis/…/leases/NAME`.
        var request: String
        /// How long the request was given.
        var limit: Duration
        var description: String { "\(request): no answer within \(limit)" }
    }

    /// Runs `body` (the `request`), cancelling it at `deadline`, so a hung API server cannot keep a stale leader
    /// leading (client-go bounds each renewal by renewDeadline).
    private func bounded<T: Sendable>(_ request: String, until deadline: ContinuousClock.Instant,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = deadline - .now
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(request: request, limit: limit) }
            return value
        }
    }
}
