import LBKernel

extension OwnershipStateMachine {
    /// Records the desired set: new and changed candidacies, and those that ended.
    mutating func update(with set: DesiredSet, at now: ContinuousClock.Instant, _ step: inout Step) {
        var wanted: [ServiceID: (addresses: [IPAddress], layer2: Layer2Announcement)] = [:]
        for (id, service) in set.services {
            guard let layer2 = service.layer2, layer2.candidates.contains(node), !service.addresses.isEmpty else {
                continue
            }
            wanted[id] = (service.addresses, layer2)
        }
        for (id, want) in wanted {
            let interfaces = Set(want.layer2.interfaces)
            guard var record = records[id] else {
                records[id] = Record(addresses: want.addresses, interfaces: interfaces,
                                     candidates: want.layer2.candidates,
                                     ranking: OwnerElection.ranking(of: want.layer2.candidates,
                                                                    for: want.addresses[0]),
                                     eligibility: .candidate, since: now)
                continue
            }
            let answeredChanged = record.addresses != want.addresses || record.interfaces != interfaces
            record.update(addresses: want.addresses, candidates: want.layer2.candidates, id: id, &step)
            if record.interfaces != interfaces { step.tableMayChange = true }
            record.interfaces = interfaces
            record.eligibility = .candidate
            records[id] = record
            // What is answered changed while owned: announce it all again, on the new interfaces too.
            if answeredChanged && record.isOwned { restartBurst(id, at: now, &step) }
        }
        for id in records.keys where wanted[id] == nil {
            guard let service = set.services[id], !service.addresses.isEmpty else {
                records[id]!.eligibility = .removed
                continue
            }
            // Still listed: its addresses (and its candidates, when given) still tell what to hand over, and to whom.
            records[id]!.update(addresses: service.addresses,
                                candidates: service.layer2?.candidates ?? records[id]!.candidates, id: id, &step)
            records[id]!.eligibility = .notCandidate
        }
    }

    /// Re-elects every service, in service order; `left` names the nodes that departed gracefully just now.
    mutating func reconcileAll(at now: ContinuousClock.Instant, left: Set<String>, _ step: inout Step) {
        for id in records.keys.sorted() { reconcile(id, at: now, left: left, &step) }
    }

    /// Re-elects one service and moves this node's role where the result says.
    mutating func reconcile(_ id: ServiceID, at now: ContinuousClock.Instant, left: Set<String>,
                            _ step: inout Step) {
        guard let record = records[id] else { return }
        let previous = record.owner
        let owner = electedOwner(record)
        records[id]!.owner = owner
        switch record.role {
        case .standby:
            if owner == node && isReady { acquire(id, reason: takeoverReason(previous, left: left), at: now, &step) }
        case .owned:
            if owner == node { break }
            beginRelease(id, reason: lossReason(record, owner: owner), handingOver: owner != nil, at: now, &step)
        case .releasing(let handover):
            if owner == node && isReady {
                acquire(id, reason: takeoverReason(previous, left: left), at: now, &step)
            } else if owner == nil || handover.addresses.isEmpty {
                // Whoever was to take over is gone too, or the service lost every address being handed over.
                release(id, reason: record.reason, at: now, &step)
            } else if handover.isComplete, let claim = handover.lastClaim {
                // The service lost the only addresses still waiting for a claim.
                release(id, reason: .handedOver(claim), at: now, &step)
            }
        }
        if let record = records[id], case .standby = record.role, record.eligibility != .candidate {
            records[id] = nil
        }
    }

    /// The first live candidate in the ranking; this node counts while it is a candidate and not shutting down.
    func electedOwner(_ record: Record) -> String? {
        record.ranking.first { name in
            name == node ? record.eligibility == .candidate && !isShuttingDown : live.contains(name)
        }
    }

    /// Why this node takes over from `previous`, the owner elected before.
    func takeoverReason(_ previous: String?, left: Set<String>) -> OwnershipReason {
        guard let previous, previous != node, !live.contains(previous) else { return .elected }
        return left.contains(previous) ? .ownerLeft(previous) : .ownerDied(previous)
    }

    /// Why this node loses `record` to `owner` (nil: nobody can take over).
    func lossReason(_ record: Record, owner: String?) -> OwnershipReason {
        if isShuttingDown { return .shutdown }
        switch record.eligibility {
        case .removed: return .serviceRemoved
        case .notCandidate: return .notCandidate
        case .candidate: return owner.map(OwnershipReason.betterCandidateJoined) ?? .notCandidate
        }
    }

    /// Owns the service from now on and announces all its addresses at once.
    mutating func acquire(_ id: ServiceID, reason: OwnershipReason, at now: ContinuousClock.Instant,
                          _ step: inout Step) {
        records[id]!.role = .owned(Burst(start: now, sent: 1))
        records[id]!.since = now
        records[id]!.reason = reason
        step.tableMayChange = true
        step.changes.append(.acquired(id, reason: reason))
        step.announce.formUnion(records[id]!.addresses)
    }

    /// Keeps answering for what the owned service was answering, while it still has those addresses, until the
    /// next owner claims them or the handover times out; stops at once when nobody is `handingOver` or nothing
    /// is left to hand over.
    mutating func beginRelease(_ id: ServiceID, reason: OwnershipReason, handingOver: Bool,
                               at now: ContinuousClock.Instant, _ step: inout Step) {
        let record = records[id]!
        let kept = Set(step.addressesBefore[id] ?? record.addresses).intersection(record.addresses)
        guard handingOver && !kept.isEmpty else { return release(id, reason: reason, at: now, &step) }
        records[id]!.role = .releasing(Handover(addresses: kept, deadline: now + settings.handoverTimeout))
        records[id]!.since = now
        records[id]!.reason = reason
        step.tableMayChange = true
        step.changes.append(.releasing(id, reason: reason))
    }

    /// Stops answering for the service; forgets it when this node is no longer a candidate.
    mutating func release(_ id: ServiceID, reason: OwnershipReason, at now: ContinuousClock.Instant,
                          _ step: inout Step) {
        records[id]!.role = .standby
        records[id]!.since = now
        records[id]!.reason = reason
        step.tableMayChange = true
        step.changes.append(.released(id, reason: reason))
        if records[id]!.eligibility != .candidate { records[id] = nil }
    }
}
