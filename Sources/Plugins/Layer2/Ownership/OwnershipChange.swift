public import LBKernel

/// A change of this node's role for one service, reported by the ownership state machine for logs and the
/// status file.
public enum OwnershipChange: Hashable, Sendable, CustomStringConvertible {
    /// This node now owns the service: it answers for its addresses and announces them.
    case acquired(ServiceID, reason: OwnershipReason)
    /// This node lost the service but keeps answering until the next owner has claimed every address
    /// (make-before-break).
    case releasing(ServiceID, reason: OwnershipReason)
    /// This node no longer answers for the service.
    case released(ServiceID, reason: OwnershipReason)
    /// Another station claimed an address of a service this node owns: two nodes answer for it. Nothing changes
    /// (the election, not the loudest announcer, decides); a partition that heals converges through the join.
    case conflict(ServiceID, claim: AddressClaim)

    /// The service concerned.
    public var service: ServiceID {
        switch self {
        case .acquired(let id, _), .releasing(let id, _), .released(let id, _), .conflict(let id, _): id
        }
    }

    /// A log line: `acquired ns/a: owner n2 died`.
    public var description: String {
        switch self {
        case .acquired(let id, let reason): "acquired \(id): \(reason)"
        case .releasing(let id, let reason): "releasing \(id): \(reason)"
        case .released(let id, let reason): "released \(id): \(reason)"
        case .conflict(let id, let claim): "conflict on \(id): \(claim) while this node owns it"
        }
    }
}
