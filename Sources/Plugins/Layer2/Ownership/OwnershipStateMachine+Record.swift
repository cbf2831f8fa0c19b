import LBKernel

extension OwnershipStateMachine {
    /// One service this node is, or was until it finishes releasing it, a candidate for.
    struct Record: Sendable {
        /// Whether the desired set still makes this node a candidate.
        enum Eligibility: Sendable {
            /// Listed with a Layer 2 announcement naming this node.
            case candidate
            /// Listed, but without this node among its Layer 2 candidates.
            case notCandidate
            /// Not listed any more.
            case removed
        }

        /// This node's part.
        enum Role: Sendable {
            /// Another node owns the service, or nobody (before ``OwnershipStateMachine/ready(at:)``).
            case standby
            /// This node owns the service and announces it on the burst's schedule.
            case owned(Burst)
            /// This node lost the service and answers until the handover completes.
            case releasing(Handover)
        }

        /// The service's addresses; the first is the election key.
        var addresses: [IPAddress]
        /// The interfaces to answer on; empty means all.
        var interfaces: Set<String>
        /// The candidates last listed (kept when the desired set stops giving them: who can take over).
        var candidates: [String]
        /// The candidates in election order for the first address.
        var ranking: [String]
        /// Whether this node is still a candidate.
        var eligibility: Eligibility
        /// This node's part.
        var role: Role = .standby
        /// The owner elected at the last evaluation, or nil when no candidate is live.
        var owner: String?
        /// When ``role`` last changed (or the record appeared).
        var since: ContinuousClock.Instant
        /// Why ``role`` last changed.
        var reason: OwnershipReason = .elected

        var isOwned: Bool { if case .owned = role { true } else { false } }
        var isReleasing: Bool { if case .releasing = role { true } else { false } }

        /// The addresses answered: all of them while owned, those not yet handed over while releasing.
        var answered: [IPAddress] {
            switch role {
            case .standby: []
            case .owned: addresses
            case .releasing(let handover): addresses.filter(handover.addresses.contains)
            }
        }
    }

    /// The announcements after a takeover or a join: at `start`, then every ``Settings/repeatEvery``.
    struct Burst: Sendable {
        /// When the first announcement went out.
        var start: ContinuousClock.Instant
        /// How many went out.
        var sent: Int
    }

    /// A handover in progress.
    struct Handover: Sendable {
        /// The addresses still answered: those owned when the release began that the service still has.
        var addresses: Set<IPAddress>
        /// When the service stops being answered even without every claim.
        var deadline: ContinuousClock.Instant
        /// The addresses another station has claimed since the release began.
        var claimed: Set<IPAddress> = []
        /// The last of those claims.
        var lastClaim: AddressClaim?

        /// Whether every address still answered has been claimed.
        var isComplete: Bool { addresses.isSubset(of: claimed) }
    }
}

extension OwnershipStateMachine.Record {
    /// Takes the service's current addresses and candidates: the ranking follows them, and an address the
    /// service lost is not answered any more, handed over or not.
    mutating func update(addresses newAddresses: [IPAddress], candidates newCandidates: [String], id: ServiceID,
                         _ step: inout OwnershipStateMachine.Step) {
        if newCandidates != candidates || newAddresses.first != addresses.first {
            ranking = OwnerElection.ranking(of: newCandidates, for: newAddresses[0])
        }
        candidates = newCandidates
        guard newAddresses != addresses else { return }
        step.tableMayChange = true
        step.addressesBefore[id] = addresses
        if case .releasing(var handover) = role {
            handover.addresses.formIntersection(newAddresses)
            role = .releasing(handover)
        }
        addresses = newAddresses
    }
}
