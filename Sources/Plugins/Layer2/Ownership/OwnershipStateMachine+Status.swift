import LBKernel

extension OwnershipStateMachine {
    /// The services this node owns now (it answers for their addresses); releasing ones are not included.
    public var ownedServices: Set<ServiceID> { Set(records.filter { $0.value.isOwned }.keys) }

    /// The state as the status file shows it; `wallClock` (nanoseconds since the Unix epoch) is the time at
    /// `now`, from which the instants of the role changes are dated.
    public func status(at now: ContinuousClock.Instant, wallClock: UInt64) -> OwnershipStatus {
        let services = records.keys.sorted().map { id -> OwnershipStatus.Service in
            let record = records[id]!
            let counts = { (name: String) in
                name == node ? record.eligibility == .candidate && !isShuttingDown : live.contains(name)
            }
            var state = OwnershipStatus.State.standby
            var awaiting: [IPAddress] = []
            switch record.role {
            case .standby: break
            case .owned: state = .owned
            case .releasing(let handover):
                state = .releasing
                awaiting = record.answered.filter { !handover.claimed.contains($0) }
            }
            let age = nanoseconds(now - record.since)
            return OwnershipStatus.Service(
                service: id, addresses: record.addresses, interfaces: record.interfaces.sorted(),
                ranking: record.ranking, live: record.ranking.filter(counts), owner: record.owner, state: state,
                since: RFC3339.format(unixNanoseconds: wallClock >= age ? wallClock - age : 0),
                reason: record.reason.kind, reasonDetail: record.reason.detail, awaitingClaims: awaiting)
        }
        return OwnershipStatus(node: node, ready: isReady, shuttingDown: isShuttingDown, live: live.sorted(),
                               services: services)
    }

    /// A non-negative duration in whole nanoseconds (negative durations count as zero).
    private func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 && attoseconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}

/// RFC 3339 timestamps without Foundation.
enum RFC3339 {
    /// `2025-06-01T12:00:00.123Z` for nanoseconds since the Unix epoch (milliseconds kept, UTC).
    static func format(unixNanoseconds: UInt64) -> String {
        let milliseconds = unixNanoseconds / 1_000_000
        let seconds = Int64(milliseconds / 1000)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = CivilCalendar.date(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(Int64(milliseconds % 1000), 3))Z"
    }
}
