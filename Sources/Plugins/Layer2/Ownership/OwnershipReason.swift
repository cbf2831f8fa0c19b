/// Why this node's ownership of a service changed: the cause carried by every ``OwnershipChange``.
public enum OwnershipReason: Hashable, Sendable, CustomStringConvertible {
    /// This node is the first live candidate in the ranking (at startup, for a new service, or after the
    /// candidates or the service's first address changed).
    case elected
    /// The previous owner, named, stopped sending heartbeats.
    case ownerDied(String)
    /// The previous owner, named, announced that it is leaving (a graceful stop).
    case ownerLeft(String)
    /// The desired set still lists the service, but this node is no longer one of its Layer 2 candidates.
    case notCandidate
    /// The named node, live and a candidate, now ranks before this node.
    case betterCandidateJoined(String)
    /// The desired set no longer lists the service for this node.
    case serviceRemoved
    /// Another station claimed the last of the service's addresses: the next owner has announced them.
    case handedOver(AddressClaim)
    /// The next owner did not claim every address within the handover timeout.
    case handoverTimedOut
    /// This node is shutting down.
    case shutdown

    /// The reason without its detail, for the status file.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// See ``OwnershipReason/elected``.
        case elected
        /// See ``OwnershipReason/ownerDied(_:)``.
        case ownerDied
        /// See ``OwnershipReason/ownerLeft(_:)``.
        case ownerLeft
        /// See ``OwnershipReason/notCandidate``.
        case notCandidate
        /// See ``OwnershipReason/betterCandidateJoined(_:)``.
        case betterCandidateJoined
        /// See ``OwnershipReason/serviceRemoved``.
        case serviceRemoved
        /// See ``OwnershipReason/handedOver(_:)``.
        case handedOver
        /// See ``OwnershipReason/handoverTimedOut``.
        case handoverTimedOut
        /// See ``OwnershipReason/shutdown``.
        case shutdown
    }

    /// The case without its detail.
    public var kind: Kind {
        switch self {
        case .elected: .elected
        case .ownerDied: .ownerDied
        case .ownerLeft: .ownerLeft
        case .notCandidate: .notCandidate
        case .betterCandidateJoined: .betterCandidateJoined
        case .serviceRemoved: .serviceRemoved
        case .handedOver: .handedOver
        case .handoverTimedOut: .handoverTimedOut
        case .shutdown: .shutdown
        }
    }

    /// The node or the claim the reason names, or nil.
    public var detail: String? {
        switch self {
        case .ownerDied(let node), .ownerLeft(let node), .betterCandidateJoined(let node): node
        case .handedOver(let claim): claim.description
        default: nil
        }
    }

    /// A phrase for logs: `owner n2 died`, `handed over (10.0.0.1 is-at 02:… on eth0)`.
    public var description: String {
        switch self {
        case .elected: "elected"
        case .ownerDied(let node): "owner \(node) died"
        case .ownerLeft(let node): "owner \(node) left"
        case .notCandidate: "no longer a candidate"
        case .betterCandidateJoined(let node): "\(node) ranks first"
        case .serviceRemoved: "service removed"
        case .handedOver(let claim): "handed over (\(claim))"
        case .handoverTimedOut: "handover timed out"
        case .shutdown: "shutting down"
        }
    }
}
