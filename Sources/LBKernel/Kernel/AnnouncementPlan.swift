/// Why a node does not announce a service with some protocol.
public enum NotAnnouncedReason: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The service has no address (pending, or its allocation failed).
    case notAllocated
    /// The service has no ready endpoint anywhere (traffic policy Cluster).
    case noEndpoints
    /// The service has no ready endpoint on this node (traffic policy Local).
    case noLocalEndpoints
    /// No advertisement of this protocol selects the service's pool (and the service).
    case noAdvertisement
    /// Advertisements exist, but none selects this node.
    case nodeNotSelected
    /// The node carries the label `node.kubernetes.io/exclude-from-external-load-balancers`.
    case nodeExcluded
    /// The node reports `NetworkUnavailable=True`.
    case nodeNetworkUnavailable
    /// Two advertisements ask for the same prefix with different LOCAL_PREF towards the same peers.
    case conflictingAdvertisements
    /// The service shares its address and an applicable Layer 2 advertisement has service selectors, so nodes
    /// could disagree on the owner.
    case sharedIPWithServiceSelector

    /// A short explanation for `lbd plan` and logs.
    public var description: String {
        switch self {
        case .notAllocated: "the service has no address"
        case .noEndpoints: "the service has no ready endpoint"
        case .noLocalEndpoints: "no ready endpoint on this node (traffic policy Local)"
        case .noAdvertisement: "no advertisement selects the service's pool"
        case .nodeNotSelected: "no advertisement selects this node"
        case .nodeExcluded: "node labelled \(Node.excludeLabel)"
        case .nodeNetworkUnavailable: "node reports NetworkUnavailable"
        case .conflictingAdvertisements: "advertisements conflict on LOCAL_PREF"
        case .sharedIPWithServiceSelector: "shared address with a service-selecting Layer 2 advertisement"
        }
    }
}

/// Whether a node announces a service with one protocol, and why not.
public enum AnnouncementDecision: Hashable, Sendable {
    /// The node announces (Layer 2: is a candidate for the election).
    case announce
    /// The node does not announce, for this reason.
    case skip(NotAnnouncedReason)

    /// True for ``announce``.
    public var announces: Bool { self == .announce }
}

/// The decisions for one service on one node.
public struct NodeDecision: Hashable, Sendable {
    /// Layer 2.
    public var layer2: AnnouncementDecision
    /// BGP.
    public var bgp: AnnouncementDecision

    /// Creates a decision.
    public init(layer2: AnnouncementDecision, bgp: AnnouncementDecision) {
        self.layer2 = layer2
        self.bgp = bgp
    }
}

/// The plan for every service: its addresses, and for every node whether and how it announces them.
public struct AnnouncementPlan: Hashable, Sendable {
    /// The nodes the plan covers, sorted by name.
    public var nodes: [String]
    /// Per service: the decision for each node.
    public var decisions: [ServiceID: [String: NodeDecision]]
    /// Per node: the desired set.
    public var desired: [String: DesiredSet]

    /// Creates a plan.
    public init(nodes: [String] = [], decisions: [ServiceID: [String: NodeDecision]] = [:],
                desired: [String: DesiredSet] = [:]) {
        self.nodes = nodes
        self.decisions = decisions
        self.desired = desired
    }

    /// The desired set for `node` (empty when the node is unknown).
    public func desiredSet(for node: String) -> DesiredSet { desired[node] ?? .empty(node: node) }
}
