public import LBKernel

/// Decides which services this node answers ARP/NDP for, when to announce them, and how to hand them over:
/// events in, actions out, no I/O and no clock (every instant is passed in).
///
/// Each service with a Layer 2 announcement naming this node is elected with ``OwnerElection`` over its candidates
/// that are live: the other nodes the membership reports plus this node (until ``shutdown(at:)``). The node owns
/// what it wins, and only once it is ``ready(at:)``: the startup hold during which it listens to heartbeats, so a
/// restarting node never claims everything before it has heard its peers.
///
/// Taking a service over answers for every address at once and announces them (``Action/announce(_:)``) then
/// again every ``Settings/repeatEvery`` while less than ``Settings/repeatFor`` has passed; a node joining (or
/// re-joining after a partition) restarts that burst for everything owned. Losing a service while another live
/// candidate exists is make-before-break: the service is *releasing*, still answered, until a claim for each of its
/// addresses arrives from another station or ``Settings/handoverTimeout`` passes; without a live candidate to take
/// over it stops at once.
///
/// The shell performs the actions in order, calls ``tick(at:)`` at ``nextDeadline``, and after
/// ``shutdown(at:)`` waits for ``Action/shutdownComplete``.
public struct OwnershipStateMachine: Sendable {
    /// What the shell must do, in order.
    public enum Action: Hashable, Sendable {
        /// Answer exactly for this table from now on (sent whenever it changes; join the solicited-node groups of
        /// its IPv6 addresses).
        case answer(AnswerTable)
        /// Send a gratuitous ARP or an unsolicited Neighbor Advertisement for each address now, on the interfaces
        /// the current table allows for it.
        case announce([IPAddress])
        /// This node's role for a service changed (log it, rewrite the status file).
        case changed(OwnershipChange)
        /// Shutdown may finish: nothing is answered any more. Sent once.
        case shutdownComplete
    }

    /// This node's name, as the candidates lists and the membership spell it.
    public let node: String
    /// The timings.
    public let settings: Settings
    /// Whether the startup hold is over (``ready(at:)`` was called).
    public private(set) var isReady = false
    /// Whether ``shutdown(at:)`` was called: nothing is acquired any more.
    public private(set) var isShuttingDown = false
    /// Whether ``Action/shutdownComplete`` was sent.
    public private(set) var isShutdownComplete = false
    /// The other nodes the membership reports live.
    public private(set) var live: Set<String> = []
    /// The table last sent in ``Action/answer(_:)``: owned and releasing addresses.
    public private(set) var table = AnswerTable.empty

    /// Per service this node is or was a candidate for, its election and role.
    var records: [ServiceID: Record] = [:]

    /// Creates a machine for `node` that owns nothing until ``ready(at:)``.
    public init(node: String, settings: Settings = Settings()) {
        precondition(settings.repeatEvery > .zero, "gratuitous repeatEvery must be positive")
        precondition(settings.repeatFor >= .zero && settings.handoverTimeout >= .zero,
                     "gratuitous repeatFor and handoverTimeout must not be negative")
        self.node = node
        self.settings = settings
    }

    /// Takes the complete desired set for this node: the services with a Layer 2 announcement whose candidates
    /// include this node are those it may own, elected by their first address.
    ///
    /// A service that is gone, or that no longer names this node, is released (handed over when another live
    /// candidate of its last candidates list exists). A set that changes nothing produces no action.
    public mutating func desired(_ set: DesiredSet, at now: ContinuousClock.Instant) -> [Action] {
        precondition(set.node == node, "desired set for \(set.node) given to the ownership of \(node)")
        var step = Step()
        update(with: set, at: now, &step)
        reconcileAll(at: now, left: [], &step)
        return finish(step)
    }

    /// Takes the membership: `live` are the other nodes heard from now, `joined` those that appeared (or
    /// restarted) since the last call, `left` those that announced their departure (as opposed to dying).
    ///
    /// Owners are re-elected; when any node joined, everything owned is announced again (a new burst), so that
    /// clients that followed another owner during a partition converge. This node's own name is ignored.
    public mutating func membership(live: Set<String>, joined: Set<String> = [], left: Set<String> = [],
                                    at now: ContinuousClock.Instant) -> [Action] {
        var step = Step()
        self.live = live.subtracting([node])
        reconcileAll(at: now, left: left, &step)
        if !joined.subtracting([node]).isEmpty { restartAllBursts(at: now, &step) }
        return finish(step)
    }

    /// Ends the startup hold: from now on this node owns what it wins, and announces it at once.
    public mutating func ready(at now: ContinuousClock.Instant) -> [Action] {
        guard !isReady else { return [] }
        isReady = true
        var step = Step()
        reconcileAll(at: now, left: [], &step)
        return finish(step)
    }

    /// Takes another station's claim of an address (its MAC is not ours: the responder drops our own frames).
    ///
    /// For a releasing service it completes the handover of that address; for an owned one it is a
    /// ``OwnershipChange/conflict(_:claim:)`` and changes nothing.
    public mutating func claimObserved(_ claim: AddressClaim, at now: ContinuousClock.Instant) -> [Action] {
        var step = Step()
        observe(claim, at: now, &step)
        return finish(step)
    }

    /// Performs what is due at `now`: repeated announcements, handovers that timed out.
    public mutating func tick(at now: ContinuousClock.Instant) -> [Action] {
        var step = Step()
        expireHandovers(at: now, &step)
        repeatAnnouncements(at: now, &step)
        return finish(step)
    }

    /// Starts a new announcement burst for everything owned, as a join does; for when an interface (re)opens, whose
    /// clients may have missed the takeover. Releasing services are not announced: their next owner does that.
    public mutating func reannounce(at now: ContinuousClock.Instant) -> [Action] {
        var step = Step()
        restartAllBursts(at: now, &step)
        return finish(step)
    }

    /// Starts the shutdown: owned services are handed over (or dropped when nobody can take them), nothing is
    /// acquired again, and ``Action/shutdownComplete`` follows once nothing is releasing.
    public mutating func shutdown(at now: ContinuousClock.Instant) -> [Action] {
        guard !isShuttingDown else { return [] }
        isShuttingDown = true
        var step = Step()
        reconcileAll(at: now, left: [], &step)
        return finish(step)
    }
}

extension OwnershipStateMachine {
    /// What one event produced, collected before ``finish(_:)`` turns it into actions.
    struct Step {
        var changes: [OwnershipChange] = []
        var announce: Set<IPAddress> = []
        /// The addresses services had before the desired set of this step changed them: a service lost in the
        /// same step is handed over with what it was answering, not with addresses it never announced.
        var addressesBefore: [ServiceID: [IPAddress]] = [:]
        /// Whether a role, an address or an interface list changed: only then is the table rebuilt (a claim
        /// that completes nothing, the common case during another node's takeover burst, costs no rebuild).
        var tableMayChange = false
    }

    /// The actions for `step`: changes, the table if it changed, announcements of owned addresses, and the end of
    /// the shutdown.
    mutating func finish(_ step: Step) -> [Action] {
        var actions = step.changes.map(Action.changed)
        if step.tableMayChange {
            let current = answerTable()
            if current != table {
                table = current
                actions.append(.answer(current))
            }
        }
        if !step.announce.isEmpty {
            let owned = Set(records.values.filter(\.isOwned).flatMap(\.addresses))
            let announce = step.announce.intersection(owned)
            if !announce.isEmpty { actions.append(.announce(announce.sorted())) }
        }
        if isShuttingDown && !isShutdownComplete && !records.values.contains(where: \.isReleasing) {
            isShutdownComplete = true
            actions.append(.shutdownComplete)
        }
        return actions
    }

    /// Owned and releasing addresses, each with the union of its services' interfaces (empty, all, wins).
    func answerTable() -> AnswerTable {
        var entries: [IPAddress: Set<String>] = [:]
        var everywhere: Set<IPAddress> = []
        for record in records.values {
            for address in record.answered {
                if record.interfaces.isEmpty { everywhere.insert(address) }
                entries[address, default: []].formUnion(record.interfaces)
            }
        }
        for address in everywhere { entries[address] = [] }
        return AnswerTable(entries: entries)
    }
}
