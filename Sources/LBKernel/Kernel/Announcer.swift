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
