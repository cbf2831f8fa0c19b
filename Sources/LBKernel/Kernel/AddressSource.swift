public import ServiceLifecycle

/// A complete picture published by a source: every service it knows, the policy it holds, and the nodes.
///
/// Sources publish whole snapshots, never deltas, so a lost update can never leave the kernel out of step.
public struct SourceSnapshot: Hashable, Sendable {
    /// Every service that wants an address.
    public var services: [Service]
    /// The policy this source contributes (pools, advertisements, …); empty when it has none.
    public var policy: Policy
    /// The nodes this source knows; empty when it knows none (the kernel then uses its own node).
    public var nodes: [Node]
    /// Addresses recorded earlier (Service status, a state file), replayed first after a restart.
    public var recorded: [ServiceID: [IPAddress]]
    /// Whether the kernel chooses addresses for this source's services (the default).
    ///
    /// A source that does not hold the allocating role, such as the Kubernetes source of an lbd without the
    /// allocator Lease, sets it to false: its services then hold exactly their ``recorded`` addresses, in the pool
    /// that contains them, and services without recorded addresses wait. This lbd never picks an address of its
    /// own for them, so it announces only what the allocating lbd wrote (MetalLB's speaker, which announces what
    /// the controller wrote into Service status).
    public var allocates: Bool

    /// Creates a snapshot.
    public init(services: [Service] = [], policy: Policy = .empty, nodes: [Node] = [],
                recorded: [ServiceID: [IPAddress]] = [:], allocates: Bool = true) {
        self.services = services
        self.policy = policy
        self.nodes = nodes
        self.recorded = recorded
        self.allocates = allocates
    }
}

/// What the kernel decided, handed back to every source so it can record it.
public struct AllocationReport: Hashable, Sendable {
    /// The allocator's outcome: addresses held and failures.
    public var outcome: AllocationOutcome
    /// The announcement plan for every service and node.
    public var plan: AnnouncementPlan
    /// The services whose Layer 2 election this node won, as its ``AnnouncementReporting`` announcers last said;
    /// nil when no announcer reports (the plan's candidates are then all that is known).
    public var layer2Owned: Set<ServiceID>?

    /// Creates a report.
    public init(outcome: AllocationOutcome, plan: AnnouncementPlan, layer2Owned: Set<ServiceID>? = nil) {
        self.outcome = outcome
        self.plan = plan
        self.layer2Owned = layer2Owned
    }
}

/// Publishes services and policy, and records the allocations the kernel makes for them.
///
/// `run()` watches whatever the source reads and yields a new complete ``SourceSnapshot`` on ``snapshots`` at
/// every change; it returns on graceful shutdown and then finishes the stream.
public protocol AddressSource: ServiceLifecycle.Service {
    /// The snapshots, newest last; the kernel only ever uses the latest one.
    var snapshots: AsyncStream<SourceSnapshot> { get }

    /// Records the kernel's decisions for this source's services (Service status, a state file, …).
    func record(_ report: AllocationReport) async throws
}

/// A source that can say, without starting, what its first snapshot would be: `lbd check` and `lbd plan` use it
/// to validate and preview configuration offline.
public protocol PreviewableSource: AddressSource {
    /// Reads everything the source would read at start and returns the snapshot it would publish.
    ///
    /// - Throws: ``ConfigError`` listing every problem (file, line, key, rule), or any other error for
    ///   unreadable inputs.
    func previewSnapshot() async throws -> SourceSnapshot
}
