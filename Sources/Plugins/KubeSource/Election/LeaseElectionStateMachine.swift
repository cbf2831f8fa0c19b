public import Foundation

/// client-go's leader election (`k8s.io/client-go/tools/leaderelection`) on a `coordination.k8s.io/v1` Lease, as a
/// pure struct: events in, actions out; no I/O and no clock reads (the shell passes the monotonic `now` and the
/// wall-clock time written into the Lease).
///
/// Every retry period the machine tries to acquire or renew (client-go's `tryAcquireOrRenew`): it GETs the Lease;
/// a 404 creates it with this lbd as holder; a Lease held by someone else that was seen changing less than its
/// duration ago is followed; otherwise it is updated with the resourceVersion read (a race loses with 409) to hold
/// this lbd, with a new acquireTime and one more transition when the holder changes. Expiry is judged by the local
/// monotonic time at which this lbd last saw the record change, never by the remote `renewTime`, so clock skew
/// between nodes does not matter. A leader that has not renewed for `renewDeadline` (counted from the start of its
/// last successful attempt) stops leading; since `renewDeadline < leaseDuration`, it stops before anyone else may
/// take over. On shutdown a holder stops leading and then releases the Lease (client-go's `ReleaseOnCancel`:
/// holder "" and a duration of 1 s), so another lbd takes over at once.
///
/// The shell sends ``Event/tick`` first, performs each request action and answers it with exactly one result
/// event, and sleeps on ``Action/wait(until:)`` before the next tick. Every event that the machine expects yields
/// exactly one of the driving actions (a request, a wait, or ``Action/finish``) last, after any notifications.
public struct LeaseElectionStateMachine: Sendable {
    /// What the machine elects for and with which timing.
    public struct Configuration: Sendable, Hashable {
        /// The Lease's namespace.
        public var namespace: String
        /// The Lease's name.
        public var name: String
        /// This lbd's identity, written as `holderIdentity`.
        public var identity: String
        /// How long a Lease not seen changing stays its holder's (written as `leaseDurationSeconds`, whole seconds).
        public var leaseDuration: Duration
        /// How long the leader keeps leading without a successful renewal.
        public var renewDeadline: Duration
        /// How long between attempts.
        public var retryPeriod: Duration

        /// Creates a configuration; `retryPeriod < renewDeadline < leaseDuration` is required.
        public init(namespace: String, name: String, identity: String, leaseDuration: Duration,
                    renewDeadline: Duration, retryPeriod: Duration) {
            precondition(!identity.isEmpty, "the Lease identity must not be empty")
            precondition(retryPeriod > .zero && retryPeriod < renewDeadline && renewDeadline < leaseDuration,
                         "leader election needs retryPeriod < renewDeadline < leaseDuration")
            self.namespace = namespace
            self.name = name
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }

        /// `leaseDuration` in whole seconds (at least 1), as the Lease stores it.
        public var leaseDurationSeconds: Int {
            max(1, Int(leaseDuration.components.seconds) + (leaseDuration.components.attoseconds > 0 ? 1 : 0))
        }
    }

    /// What happened: time passed, or a request the machine asked for was answered.
    public enum Event: Sendable, Hashable {
        /// The wait is over: time for the next attempt.
        case tick
        /// The GET answered with the Lease.
        case gotLease(KubeLease)
        /// The GET answered 404: there is no Lease.
        case leaseNotFound
        /// The GET failed (an error status, a transport error, no answer before the deadline).
        case getFailed(String)
        /// The create or update succeeded; the Lease as stored (with its new resourceVersion).
        case wrote(KubeLease)
        /// The create or update answered 409: someone else wrote the Lease first.
        case writeConflict(String)
        /// The create or update failed otherwise.
        case writeFailed(String)
        /// This lbd is shutting down: release the Lease if it holds it, then finish.
        case shutdown
    }

    /// What the shell does next.
    public enum Action: Sendable, Hashable {
        /// GET the Lease; answer with ``Event/gotLease(_:)``, ``Event/leaseNotFound`` or ``Event/getFailed(_:)``
        /// no later than `deadline`.
        case get(deadline: ContinuousClock.Instant)
        /// POST the Lease; answer with a write result no later than `deadline`.
        case create(KubeLease, deadline: ContinuousClock.Instant)
        /// PUT the Lease (its metadata carries `resourceVersion`); answer with a write result no later than
        /// `deadline`.
        case update(KubeLease, resourceVersion: String, deadline: ContinuousClock.Instant)
        /// This lbd now leads.
        case becameLeader
        /// This lbd no longer leads, and why.
        case stoppedLeading(String)
        /// Someone else holds the Lease now (the empty string: nobody does).
        case leaderIs(String)
        /// Sleep until the instant, then send ``Event/tick``.
        case wait(until: ContinuousClock.Instant)
        /// Done (after ``Event/shutdown``): finish.
        case finish
    }

    private enum Phase: Sendable, Hashable {
        case waiting
        case getting
        case writing
        /// Shutting down: reading the Lease before releasing it (a write was in flight, or the release lost a race).
        case releaseReading
        /// Shutting down: the release is in flight.
        case releasing
        case finished
    }

    /// The configuration.
    public let configuration: Configuration
    private var phase = Phase.waiting
    /// The Lease as last read or written (its resourceVersion is what the next write carries).
    private var observed: KubeLease?
    /// The local instant at which the Lease's spec was last seen to change (client-go's `observedTime`).
    private var observedAt: ContinuousClock.Instant?
    /// When the current attempt started (its GET was sent).
    private var attemptStart: ContinuousClock.Instant?
    /// The start of the last successful attempt while leading; nil when not leading.
    private var renewedAt: ContinuousClock.Instant?
    /// The last holder reported with ``Action/leaderIs(_:)``.
    private var reportedHolder: String?
    /// The last failure, for the step-down reason.
    private var lastFailure: String?
    /// The deadline of the whole release (every request after ``Event/shutdown``).
    private var releaseDeadline: ContinuousClock.Instant?
    /// Whether the Lease was read again during the shutdown (it is read at most once).
    private var releaseReread = false

    /// A machine that does not lead and has not seen the Lease.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// True while this lbd leads (until ``leadingUntil``).
    public var isLeading: Bool { renewedAt != nil }

    /// The instant this lbd stops leading unless it renews first, or nil when it does not lead. The shell's
    /// `isLeading` compares it with the clock, so a stuck shell cannot lead past it.
    public var leadingUntil: ContinuousClock.Instant? { renewedAt.map { $0 + configuration.renewDeadline } }

    /// True once the machine has finished (after a shutdown).
    public var isFinished: Bool { phase == .finished }

    /// Handles one event at monotonic time `now`; `wallClock` is the time written into `renewTime`/`acquireTime`.
    public mutating func handle(_ event: Event, now: ContinuousClock.Instant, wallClock: Date) -> [Action] {
        var actions: [Action] = []
        guard phase != .finished else { return [] }
        if case .shutdown = event {
            return shutdown(now: now, wallClock: wallClock)
        }
        switch event {
        case .getFailed(let reason): lastFailure = "could not get the Lease: \(reason)"
        case .writeConflict(let reason): lastFailure = "the Lease changed before it could be written: \(reason)"
        case .writeFailed(let reason): lastFailure = "could not write the Lease: \(reason)"
        default: break
        }
        stepDownIfLate(now: now, into: &actions)
        switch (phase, event) {
        case (.waiting, .tick):
            attemptStart = now
            phase = .getting
            actions.append(.get(deadline: requestDeadline(now: now)))

        case (.getting, .gotLease(let lease)):
            observe(lease, now: now)
            tryAcquireOrRenew(lease, now: now, wallClock: wallClock, into: &actions)

        case (.getting, .leaseNotFound):
            // client-go: a missing lock is created with this candidate as holder (and transitions 0).
            if isLeading { stopLeading("the Lease was deleted", into: &actions) }
            let wall = MicroTime(wallClock)
            let lease = KubeLease(
                metadata: ObjectMeta(name: configuration.name, namespace: configuration.namespace),
                spec: .init(holderIdentity: configuration.identity,
                            leaseDurationSeconds: configuration.leaseDurationSeconds,
                            acquireTime: wall, renewTime: wall, leaseTransitions: 0))
            phase = .writing
            actions.append(.create(lease, deadline: requestDeadline(now: now)))

        case (.getting, .getFailed):
            retryLater(now: now, into: &actions)

        case (.writing, .wrote(let lease)):
            observe(lease, now: now)
            reportedHolder = lease.spec.holder
            if lease.spec.holder == configuration.identity, let start = attemptStart,
               now < start + configuration.renewDeadline {
                // The write reached the server after `start`, so every follower sees the change after `start`
                // and waits leaseDuration from then; leading until start + renewDeadline stays inside that.
                let wasLeading = isLeading
                renewedAt = start
                lastFailure = nil
                if !wasLeading { actions.append(.becameLeader) }
            }
            phase = .waiting
            actions.append(.wait(until: nextAttempt(now: now)))

        case (.writing, .writeConflict), (.writing, .writeFailed):
            // client-go: a failed update is retried after retryPeriod; a leader keeps leading until its deadline
            // (the next GET shows who won).
            retryLater(now: now, into: &actions)

        case (.releasing, .wrote(let lease)):
            observe(lease, now: now)
            phase = .finished
            actions.append(.finish)

        case (.releasing, .writeConflict) where !releaseReread:
            // The resourceVersion was stale (a renewal cancelled by the shutdown may still have been applied):
            // read the Lease once more and release that version if it is still ours.
            releaseReread = true
            phase = .releaseReading
            actions.append(.get(deadline: releaseDeadline ?? now + configuration.renewDeadline))

        case (.releasing, .writeConflict), (.releasing, .writeFailed):
            // Someone else wrote it, or the server is unreachable: the Lease expires on its own.
            phase = .finished
            actions.append(.finish)

        case (.releaseReading, .gotLease(let lease)):
            observe(lease, now: now)
            release(now: now, wallClock: wallClock, into: &actions)

        case (.releaseReading, .leaseNotFound), (.releaseReading, .getFailed):
            phase = .finished
            actions.append(.finish)

        default:
            // An answer to a request that was not asked for (a programming error in the shell); ignore it.
            break
        }
        return actions
    }

    // MARK: Rules

    /// client-go `tryAcquireOrRenew`, after the GET: follow a valid foreign Lease, else take or renew it.
    private mutating func tryAcquireOrRenew(_ lease: KubeLease, now: ContinuousClock.Instant, wallClock: Date,
                                            into actions: inout [Action]) {
        let holder = lease.spec.holder
        let mine = holder == configuration.identity
        if !mine {
            if isLeading { stopLeading(holder.isEmpty ? "the Lease was released" : "the Lease is held by \(holder)",
                                       into: &actions) }
            if holder != reportedHolder {
                reportedHolder = holder
                actions.append(.leaderIs(holder))
            }
        } else {
            reportedHolder = holder
        }
        // client-go: `len(HolderIdentity) > 0 && isLeaseValid(now) && !IsLeader()` → the lock is held by someone
        // else and has not yet expired. Valid means observedTime + the record's leaseDurationSeconds is after now.
        if !holder.isEmpty, !mine, let seen = observedAt, now < seen + duration(of: lease) {
            phase = .waiting
            actions.append(.wait(until: now + configuration.retryPeriod))
            return
        }
        guard let version = lease.metadata.resourceVersion, !version.isEmpty else {
            lastFailure = "the Lease has no metadata.resourceVersion"
            retryLater(now: now, into: &actions)
            return
        }
        var update = lease
        let wall = MicroTime(wallClock)
        update.spec.holderIdentity = configuration.identity
        update.spec.leaseDurationSeconds = configuration.leaseDurationSeconds
        update.spec.renewTime = wall
        if mine {
            // client-go: the holder keeps its acquireTime and the transition count when it renews.
            update.spec.acquireTime = lease.spec.acquireTime ?? wall
            update.spec.leaseTransitions = lease.spec.leaseTransitions ?? 0
        } else {
            update.spec.acquireTime = wall
            update.spec.leaseTransitions = (lease.spec.leaseTransitions ?? 0) + 1
        }
        phase = .writing
        actions.append(.update(update, resourceVersion: version, deadline: requestDeadline(now: now)))
    }

    /// Records the Lease; client-go resets `observedTime` only when the record changed (raw record comparison).
    private mutating func observe(_ lease: KubeLease, now: ContinuousClock.Instant) {
        if observed?.spec != lease.spec || observedAt == nil {
            observedAt = now
        }
        observed = lease
    }

    /// The Lease's duration as its holder wrote it; one that is missing or not positive counts as ours.
    private func duration(of lease: KubeLease) -> Duration {
        guard let seconds = lease.spec.leaseDurationSeconds, seconds > 0 else { return configuration.leaseDuration }
        return .seconds(seconds)
    }

    /// Shutdown: stop leading first (nothing may be allocated while the release is in flight), then release the
    /// Lease if this lbd holds it (client-go `release()`: holder "", leaseDurationSeconds 1, transitions kept).
    /// client-go releases with the record it last saw; when a write was in flight its outcome is unknown (a
    /// takeover or renewal may have been applied), so the Lease is read first.
    private mutating func shutdown(now: ContinuousClock.Instant, wallClock: Date) -> [Action] {
        var actions: [Action] = []
        if phase == .releasing || phase == .releaseReading { return [] }
        if isLeading { stopLeading("shutting down", into: &actions) }
        releaseDeadline = now + configuration.renewDeadline
        if phase == .writing {
            releaseReread = true
            phase = .releaseReading
            actions.append(.get(deadline: now + configuration.renewDeadline))
            return actions
        }
        release(now: now, wallClock: wallClock, into: &actions)
        return actions
    }

    /// Releases the Lease last seen if this lbd holds it; finishes otherwise.
    private mutating func release(now: ContinuousClock.Instant, wallClock: Date, into actions: inout [Action]) {
        guard let lease = observed, lease.spec.holder == configuration.identity,
              let version = lease.metadata.resourceVersion, !version.isEmpty else {
            phase = .finished
            actions.append(.finish)
            return
        }
        var release = lease
        let wall = MicroTime(wallClock)
        release.spec.holderIdentity = ""
        release.spec.leaseDurationSeconds = 1
        release.spec.acquireTime = wall
        release.spec.renewTime = wall
        release.spec.leaseTransitions = lease.spec.leaseTransitions ?? 0
        phase = .releasing
        actions.append(.update(release, resourceVersion: version,
                               deadline: releaseDeadline ?? now + configuration.renewDeadline))
    }

    private mutating func retryLater(now: ContinuousClock.Instant, into actions: inout [Action]) {
        stepDownIfLate(now: now, into: &actions)
        phase = .waiting
        actions.append(.wait(until: nextAttempt(now: now)))
    }

    /// The next attempt: a retry period from now, but no later than the leader's deadline.
    private func nextAttempt(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let next = now + configuration.retryPeriod
        return leadingUntil.map { min(next, max(now, $0)) } ?? next
    }

    /// How long a request may take: a leader's until its deadline (client-go bounds each renewal by
    /// renewDeadline), anyone else's a renew deadline.
    private func requestDeadline(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        leadingUntil.map { min($0, now + configuration.renewDeadline) } ?? now + configuration.renewDeadline
    }

    private mutating func stepDownIfLate(now: ContinuousClock.Instant, into actions: inout [Action]) {
        guard let until = leadingUntil, now >= until else { return }
        stopLeading("the Lease was not renewed within \(configuration.renewDeadline)"
                        + (lastFailure.map { " (\($0))" } ?? ""), into: &actions)
    }

    private mutating func stopLeading(_ reason: String, into actions: inout [Action]) {
        renewedAt = nil
        actions.append(.stoppedLeading(reason))
    }
}
