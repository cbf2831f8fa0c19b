public import Logging
public import ServiceLifecycle
import Synchronization

/// The one long-running service of lbd: sources → allocator → announcers.
///
/// The kernel waits for a snapshot from every source, then reconciles: it merges their policies (and the static
/// policy of its configuration) and validates the whole, runs the allocator, plans which node announces what,
/// hands the outcome back to every source to record, and gives each announcer this node's complete desired set.
/// Bursts of snapshots are coalesced: however many arrive within ``Configuration/coalescingDelay``, the kernel
/// reconciles once, with the latest of each. An invalid policy is reported and the last good one stays in force;
/// until a valid policy has been seen nothing is allocated, so no recorded address is ever dropped.
///
/// It stops on graceful shutdown. List it after the sources and announcers in a `ServiceGroup`, so it stops
/// first and the announcers withdraw last.
public final class Kernel: ServiceLifecycle.Service, Sendable {
    /// The kernel's settings.
    public struct Configuration: Sendable {
        /// The node lbd runs on.
        public var node: Node
        /// Policy given to lbd directly (files named in `lbd.yaml` or on the command line), merged with the sources'.
        public var staticPolicy: Policy
        /// Nodes given to lbd directly (in those policy files), merged with the sources' nodes.
        public var staticNodes: [Node]
        /// How long to wait after a snapshot for more before reconciling (default 50 ms).
        public var coalescingDelay: Duration
        /// How long to wait before retrying an announcer or source that failed (default 1 s).
        public var retryDelay: Duration

        /// Creates a configuration.
        public init(node: Node, staticPolicy: Policy = .empty, staticNodes: [Node] = [],
                    coalescingDelay: Duration = .milliseconds(50), retryDelay: Duration = .seconds(1)) {
            self.node = node
            self.staticPolicy = staticPolicy
            self.staticNodes = staticNodes
            self.coalescingDelay = coalescingDelay
            self.retryDelay = retryDelay
        }
    }

    let configuration: Configuration
    let sources: [any AddressSource]
    let announcers: [any Announcer]
    let allocator: any AddressAllocator
    let logger: Logger

    /// Creates a kernel; it does nothing until `run()`.
    public init(configuration: Configuration, sources: [any AddressSource], announcers: [any Announcer],
                allocator: any AddressAllocator = PoolAllocator(), logger: Logger = Logger(label: "lbd.kernel")) {
        self.configuration = configuration
        self.sources = sources
        self.announcers = announcers
        self.allocator = allocator
        self.logger = logger
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        let (signal, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let latest = LatestSnapshots()
        let announced = LatestAnnouncementStates()
        let sources = self.sources
        let reporting = announcers.enumerated().compactMap { index, announcer in
            (announcer as? any AnnouncementReporting).map { (index, $0) }
        }
        await cancelOnGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for (index, source) in sources.enumerated() {
                    group.addTask {
                        for await snapshot in source.snapshots {
                            latest.store(snapshot, at: index)
                            continuation.yield()
                        }
                    }
                }
                for (index, announcer) in reporting {
                    group.addTask {
                        for await state in announcer.announcementStates {
                            announced.store(state, at: index)
                            continuation.yield()
                        }
                    }
                }
                var state = KernelLoopState(allocator: self.allocator, announcerCount: self.announcers.count)
                for await _ in signal {
                    do { try await Task.sleep(for: self.configuration.coalescingDelay) } catch { break }
                    let snapshots = latest.all
                    guard snapshots.count == sources.count else { continue }  // wait for every source once
                    let needsRetry = await self.reconcile(snapshots: snapshots, state: &state,
                                                          layer2Owned: reporting.isEmpty ? nil : announced.layer2Owned)
                    if needsRetry {
                        let delay = self.configuration.retryDelay
                        group.addTask {
                            if (try? await Task.sleep(for: delay)) != nil { continuation.yield() }
                        }
                    }
                }
                group.cancelAll()
            }
        }
        continuation.finish()
        logger.info("kernel stopped")
    }

    /// One reconcile; returns true when something failed and should be retried.
    func reconcile(snapshots: [Int: SourceSnapshot], state: inout KernelLoopState,
                   layer2Owned: Set<ServiceID>? = nil) async -> Bool {
        let inputs = MergedInputs(staticPolicy: configuration.staticPolicy, staticNodes: configuration.staticNodes,
                                  snapshots: snapshots.keys.sorted().map { snapshots[$0]! }, node: configuration.node)
        let policy = inputs.policy
        let problems = policy.validate()
        if problems.isEmpty {
            state.lastGoodPolicy = policy
            state.lastReportedProblems = []
        } else {
            if problems != state.lastReportedProblems {
                for problem in problems { logger.error("invalid policy: \(problem)") }
                let consequence = state.lastGoodPolicy == nil
                    ? "nothing is allocated until it is fixed" : "keeping the last good policy"
                logger.error("policy rejected with \(problems.count) problem(s); \(consequence)")
                state.lastReportedProblems = problems
            }
        }
        guard let goodPolicy = state.lastGoodPolicy else { return false }

        for id in inputs.duplicateServices {
            logger.error("service \(id) is published by two sources; the first one is used")
        }
        let outcome = state.allocate(policy: goodPolicy, inputs: inputs)
        for id in outcome.changed.sorted() {
            if let allocation = outcome.allocations[id] {
                logger.info("\(id): \(allocation.addresses.map(\.description).joined(separator: ", ")) from pool \(allocation.pool)")
            } else if let failure = outcome.failures[id] {
                logger.warning("\(id): no address: \(failure.message)")
            } else {
                logger.info("\(id): released")
            }
        }
        for (id, failure) in outcome.failures where state.lastFailures[id] != failure && !outcome.changed.contains(id) {
            logger.warning("\(id): no address: \(failure.message)")
        }
        state.lastFailures = outcome.failures

        let plan = Reconciler.plan(policy: goodPolicy, services: inputs.services, nodes: inputs.nodes,
                                   allocations: outcome.allocations)
        let report = AllocationReport(outcome: outcome, plan: plan, layer2Owned: layer2Owned)
        var failed = false
        for source in sources {
            do { try await source.record(report) } catch {
                logger.error("recording allocations failed: \(error)")
                failed = true
            }
        }
        let desired = plan.desiredSet(for: configuration.node.name)
        for (index, announcer) in announcers.enumerated() where state.applied[index] != desired {
            do {
                try await announcer.apply(desired)
                state.applied[index] = desired
            } catch {
                logger.error("announcer \(type(of: announcer)) failed: \(error); retrying")
                state.applied[index] = nil
                failed = true
            }
        }
        return failed
    }
}

/// What the kernel's loop carries from one reconcile to the next.
struct KernelLoopState {
    var allocator: any AddressAllocator
    var lastGoodPolicy: Policy?
    var lastReportedProblems: [ConfigProblem] = []
    var lastFailures: [ServiceID: AllocationFailure] = [:]
    var applied: [DesiredSet?]
    /// The allocations of followed services (sources that do not allocate) at the last reconcile.
    var followed: [ServiceID: Allocation] = [:]

    init(allocator: any AddressAllocator, announcerCount: Int) {
        self.allocator = allocator
        applied = Array(repeating: nil, count: announcerCount)
    }

    /// The allocator's outcome for the services of allocating sources, merged with the recorded addresses of the
    /// services of sources that do not allocate (``FollowedAllocations``).
    mutating func allocate(policy: Policy, inputs: MergedInputs) -> AllocationOutcome {
        let followedIDs = inputs.followedServices
        guard !followedIDs.isEmpty || !followed.isEmpty else {
            return allocator.reconcile(policy: policy, services: inputs.services, recorded: inputs.recorded)
        }
        var outcome = allocator.reconcile(policy: policy,
                                          services: inputs.services.filter { !followedIDs.contains($0.id) },
                                          recorded: inputs.recorded)
        let resolved = FollowedAllocations.resolve(services: inputs.services.filter { followedIDs.contains($0.id) },
                                                   recorded: inputs.recorded, policy: policy)
        outcome.allocations.merge(resolved.allocations) { allocated, _ in allocated }
        outcome.failures.merge(resolved.failures) { failed, _ in failed }
        for id in Set(followed.keys).union(resolved.allocations.keys) where followed[id] != resolved.allocations[id] {
            outcome.changed.insert(id)
        }
        followed = resolved.allocations
        return outcome
    }
}

/// The latest snapshot of each source, shared between the source readers and the loop.
final class LatestSnapshots: Sendable {
    private let storage = Mutex<[Int: SourceSnapshot]>([:])

    func store(_ snapshot: SourceSnapshot, at index: Int) { storage.withLock { $0[index] = snapshot } }

    var all: [Int: SourceSnapshot] { storage.withLock { $0 } }
}

/// The latest state of each reporting announcer, shared between their readers and the loop.
final class LatestAnnouncementStates: Sendable {
    private let storage = Mutex<[Int: AnnouncementState]>([:])

    func store(_ state: AnnouncementState, at index: Int) { storage.withLock { $0[index] = state } }

    /// The services any reporting announcer owns by Layer 2.
    var layer2Owned: Set<ServiceID> { storage.withLock { $0.values.reduce(into: []) { $0.formUnion($1.layer2Owned) } } }
}
