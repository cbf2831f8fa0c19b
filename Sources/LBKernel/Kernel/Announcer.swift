public import ServiceLifecycle

/// Makes the network reach this node's service addresses (ARP/NDP, BGP, or just a log line).
///
/// ``apply(_:)`` receives the complete desired set for this node every time: it is idempotent, applying the same
/// set twice changes nothing, and an empty set withdraws everything. `run()` holds the announcer's sessions and
/// sockets; on graceful shutdown it withdraws everything it announced and returns.
public protocol Announcer: ServiceLifecycle.Service {
    /// Makes the announced state equal to `desired`.
    func apply(_ desired: DesiredSet) async throws
}

/// What an announcer actually announces from this node, beyond the desired set it was given.
public struct AnnouncementState: Hashable, Sendable {
    /// The services whose Layer 2 election this node won: it answers ARP/NDP for their addresses.
    public var layer2Owned: Set<ServiceID>

    /// Creates a state.
    public init(layer2Owned: Set<ServiceID> = []) {
        self.layer2Owned = layer2Owned
    }
}

/// An announcer that reports what it actually announces, so sources can tell users (the Kubernetes source's
/// `nodeAssigned` events name the node that won the Layer 2 election, not every candidate).
///
/// The kernel reads ``announcementStates`` while it runs; each new state starts a reconcile, and the next
/// ``AllocationReport`` carries it.
public protocol AnnouncementReporting: Announcer {
    /// The announcer's state after every change; only the newest unread one matters.
    var announcementStates: AsyncStream<AnnouncementState> { get }
}
