/// The timers: negotiated values (RFC 4271 §4.2, §4.4) and the bookkeeping that makes stale expiries harmless.
extension SessionStateMachine {
    /// The hold time and keepalive interval, in seconds, for a session where we propose `localHold` and the peer
    /// `peerHold` (both 0 or at least 3).
    ///
    /// The hold time is the smaller proposal (RFC 4271 §4.2), so 0 on either side means no hold timer and no
    /// keepalives. The keepalive is a third of the hold time (§4.4 calls that a reasonable maximum, §10 suggests
    /// it), or the configured keepalive when that is shorter; at least 1 s.
    static func negotiateTimers(localHold: UInt16, peerHold: UInt16, keepalive: UInt16?)
        -> (hold: UInt16, keepalive: UInt16) {
        let hold = min(localHold, peerHold)
        guard hold > 0 else { return (0, 0) }
        var interval = max(1, hold / 3)
        if let keepalive, keepalive > 0, keepalive < interval { interval = keepalive }
        return (hold, interval)
    }

    /// Restarts the HoldTimer when the session has one (on every KEEPALIVE and UPDATE received, RFC 4271 §8.2.2).
    mutating func restartHoldTimer() -> [Action] {
        guard let hold = negotiated?.holdDuration else { return [] }
        return [start(.hold, hold)]
    }

    /// Starts (or restarts) `timer` and notes it as running.
    mutating func start(_ timer: Timer, _ duration: Duration) -> Action {
        runningTimers.insert(timer)
        return .startTimer(timer, duration)
    }

    /// Stops `timer` if it is running.
    mutating func stop(_ timer: Timer) -> [Action] {
        runningTimers.remove(timer) == nil ? [] : [.stopTimer(timer)]
    }

    /// Stops every running timer, in a fixed order.
    mutating func stopAllTimers() -> [Action] {
        Timer.allCases.flatMap { stop($0) }
    }
}
