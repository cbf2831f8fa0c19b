/// The addresses a service holds and the pool they come from.
public struct Allocation: Hashable, Sendable, Codable {
    /// The addresses, IPv4 first for allocated pairs; explicitly requested ones keep the requested order.
    public var addresses: [IPAddress]
    /// The pool that holds the addresses.
    public var pool: String

    /// Creates an allocation.
    public init(addresses: [IPAddress], pool: String) {
        self.addresses = addresses
        self.pool = pool
    }
}

/// Why a service could not get (or keep) an address; each case says what the user can do.
public struct AllocationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable machine-readable code.
    public var code: Code
    /// A message a user can act on: which service, which pool or address, and what to change.
    public var message: String

    /// Creates a failure.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The kinds of failure.
    public enum Code: String, Hashable, Sendable, Codable, CaseIterable {
        /// Every candidate pool is full.
        case poolExhausted
        /// No pool exists for the service (none auto-assigns, none matches its selectors).
        case noPoolAvailable
        /// The requested pool does not exist.
        case unknownPool
        /// A requested address is in no pool.
        case addressNotInAnyPool
        /// A requested address is not in the requested pool.
        case addressNotInRequestedPool
        /// A requested address is taken by a service it may not share with.
        case addressInUse
        /// A requested address is an IPv4 `.0`/`.255` in a pool with `avoidBuggyIPs`.
        case buggyAddress
        /// The requested addresses are not a valid set (two of one family, more than two, or from two pools).
        case invalidRequest
        /// The requested pool (or a requested address's pool) may not serve this service.
        case poolNotAllowed
        /// The pool cannot provide the family or families the service needs.
        case familyUnavailable
    }

    /// The message.
    public var description: String { message }
}

/// The allocator's answer for one reconcile: the allocation of every service that has one, and the failure of
/// every service that has none.
public struct AllocationOutcome: Hashable, Sendable {
    /// Services with addresses.
    public var allocations: [ServiceID: Allocation]
    /// Services without addresses, and why.
    public var failures: [ServiceID: AllocationFailure]
    /// Services whose addresses changed in this reconcile (new, moved, cleared or released).
    public var changed: Set<ServiceID>

    /// Creates an outcome.
    public init(allocations: [ServiceID: Allocation] = [:], failures: [ServiceID: AllocationFailure] = [:],
                changed: Set<ServiceID> = []) {
        self.allocations = allocations
        self.failures = failures
        self.changed = changed
    }
}

/// Hands out addresses from pools: pure, synchronous, deterministic and sticky, so it can be table-tested.
///
/// The kernel calls ``reconcile(policy:services:recorded:)`` with complete inputs every time; the allocator keeps
/// whatever state it needs between calls to make that cheap, and must give the same answer as a fresh allocator
/// given the same inputs in the same order.
public protocol AddressAllocator: Sendable {
    /// Brings the allocations in line with `policy` and `services`.
    ///
    /// - Parameters:
    ///   - policy: the validated policy (pools and namespace labels matter here).
    ///   - services: every service that wants an address.
    ///   - recorded: addresses a source recorded earlier (Service status, the file source's state file); services
    ///     holding recorded addresses are replayed first so no pending service takes them after a restart.
    mutating func reconcile(policy: Policy, services: [Service], recorded: [ServiceID: [IPAddress]]) -> AllocationOutcome
}
