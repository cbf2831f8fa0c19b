import LBKernel

extension OwnershipStateMachine {
    /// The earliest instant ``tick(at:)`` has something to do: a repeated announcement or a handover timeout;
    /// nil when nothing is scheduled.
    public var nextDeadline: ContinuousClock.Instant? {
        records.values.compactMap { record -> ContinuousClock.Instant? in
            switch record.role {
            case .standby: nil
            case .owned(let burst): nextAnnouncement(of: burst)
            case .releasing(let handover): handover.deadline
            }
        }.min()
    }

    /// When the burst's next announcement is due, or nil once `repeatFor` has passed.
    func nextAnnouncement(of burst: Burst) -> ContinuousClock.Instant? {
        let offset = settings.repeatEvery * burst.sent
        return offset < settings.repeatFor ? burst.start + offset : nil
    }

    /// Announces the owned services whose burst is due; a late tick sends one announcement, not the missed ones.
    mutating func repeatAnnouncements(at now: ContinuousClock.Instant, _ step: inout Step) {
        for id in records.keys.sorted() {
            guard case .owned(var burst) = records[id]?.role, let due = nextAnnouncement(of: burst), due <= now
            else { continue }
            step.announce.formUnion(records[id]!.addresses)
            // Skip the points already past: the count of schedule points at or before `now`.
            let every = settings.repeatEvery
            let passed = ((now - burst.start) / every).rounded(.down) + 1
            let limit = (settings.repeatFor / every).rounded(.up)
            burst.sent = max(burst.sent + 1, Int(min(passed, limit, 1e12)))
            while burst.start + every * (burst.sent - 1) > now { burst.sent -= 1 }  // Double rounding
            while let next = nextAnnouncement(of: burst), next <= now { burst.sent += 1 }
            records[id]!.role = .owned(burst)
        }
    }

    /// Starts a new burst for an owned service: announced now, then on the repeat schedule.
    mutating func restartBurst(_ id: ServiceID, at now: ContinuousClock.Instant, _ step: inout Step) {
        guard let record = records[id], record.isOwned else { return }
        records[id]!.role = .owned(Burst(start: now, sent: 1))
        step.announce.formUnion(record.addresses)
    }

    /// Starts a new burst for everything owned (a node joined).
    mutating func restartAllBursts(at now: ContinuousClock.Instant, _ step: inout Step) {
        for id in records.keys.sorted() { restartBurst(id, at: now, &step) }
    }
}
