import LBKernel

extension OwnershipStateMachine {
    /// Counts `claim` towards the handovers of releasing services that have its address, and reports it as a
    /// conflict for owned ones.
    mutating func observe(_ claim: AddressClaim, at now: ContinuousClock.Instant, _ step: inout Step) {
        let concerned = records.filter { $0.value.answered.contains(claim.address) }.keys.sorted()
        for id in concerned {
            guard let record = records[id] else { continue }
            switch record.role {
            case .standby:
                break
            case .owned:
                step.changes.append(.conflict(id, claim: claim))
            case .releasing(var handover):
                handover.claimed.insert(claim.address)
                handover.lastClaim = claim
                records[id]!.role = .releasing(handover)
                if handover.isComplete {
                    release(id, reason: .handedOver(claim), at: now, &step)
                }
            }
        }
    }

    /// Stops answering for releasing services whose handover timeout has passed.
    mutating func expireHandovers(at now: ContinuousClock.Instant, _ step: inout Step) {
        for id in records.keys.sorted() {
            guard case .releasing(let handover) = records[id]?.role, handover.deadline <= now else { continue }
            release(id, reason: .handoverTimedOut, at: now, &step)
        }
    }
}
