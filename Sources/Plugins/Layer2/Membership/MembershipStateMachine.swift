/// Which other nodes are live, from the authenticated heartbeats received: a pure struct, events in, events out,
/// with both clocks given by the caller (no real time inside, so tests drive it step by step).
///
/// Rules, per sender node:
/// - Replay guard: a beat is accepted only when its (incarnation, sequence) is above the highest accepted from that
///   node; a lower incarnation is ``HeartbeatRejection/oldIncarnation``, the same incarnation with a sequence not
///   above ``HeartbeatRejection/replayed``. Rejected beats change nothing.
/// - Time window: a beat whose timestamp is further than `maxClockSkew` from our wall clock is
///   ``HeartbeatRejection/clockSkew``, which bounds how long a captured beat could be replayed.
/// - Our own name: with our incarnation, ``HeartbeatRejection/fromSelf`` (looped back); with an older incarnation
///   and a timestamp from before we started, ``HeartbeatRejection/oldIncarnation`` (a late beat of our previous
///   life); otherwise ``HeartbeatRejection/duplicateNodeName``: another node has our name.
/// - Liveness: a node is declared dead (``MembershipEvent/died(_:)``) when no beat came for `deadAfter` of its
///   own announced intervals plus half an interval of grace (the beats' ±10 % jitter); a leaving beat marks it
///   ``MembershipEvent/left(_:)`` at once, and later beats of that incarnation are
///   ``HeartbeatRejection/leftIncarnation`` (leaving beats repeated by the sender are accepted silently): only a
///   new incarnation brings it back. A live node announcing a higher incarnation is
///   ``MembershipEvent/restarted(_:)``.
public struct MembershipStateMachine: Sendable {
    /// This node's name.
    public let node: String
    /// This node's incarnation (its start time in ns since the epoch).
    public let incarnation: UInt64
    /// How many of a node's intervals may pass without a beat before it is dead.
    public let deadAfter: Int
    /// The largest accepted difference between a beat's timestamp and our wall clock.
    public let maxClockSkew: Duration
    /// Rejected beats per reason (the codec's rejections are counted here too, through ``count(_:)``).
    public private(set) var rejections: [HeartbeatRejection: Int] = [:]
    /// What this node knows of every other node heard recently, by name.
    public private(set) var members: [String: Member] = [:]

    private let maxClockSkewNanoseconds: UInt64

    /// What is known of one other node.
    public struct Member: Hashable, Sendable {
        /// Whether the node is live, dead or gone.
        public var state: State
        /// The incarnation last accepted.
        public var incarnation: UInt64
        /// The sequence number last accepted.
        public var sequence: UInt64
        /// The interval it announced last.
        public var interval: Duration
        /// When its last accepted beat arrived.
        public var lastHeard: ContinuousClock.Instant

        /// A member's state.
        public enum State: String, Hashable, Sendable {
            /// Beating.
            case live
            /// Silent for too long.
            case dead
            /// Said it was leaving.
            case left
        }
    }

    /// Creates the state of node `node` (incarnation `incarnation`) that knows no other node yet.
    ///
    /// `deadAfter` must be at least 1 and `maxClockSkew` positive (``Membership/Configuration`` checks both).
    public init(node: String, incarnation: UInt64, deadAfter: Int, maxClockSkew: Duration) {
        precondition(deadAfter >= 1, "deadAfter must be at least 1")
        precondition(maxClockSkew > .zero, "maxClockSkew must be positive")
        self.node = node
        self.incarnation = incarnation
        self.deadAfter = deadAfter
        self.maxClockSkew = maxClockSkew
        let (seconds, attoseconds) = maxClockSkew.components
        maxClockSkewNanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    /// The live other nodes.
    public var live: Set<String> {
        Set(members.lazy.filter { $0.value.state == .live }.map(\.key))
    }

    /// When ``tick(at:)`` must run next (the earliest instant a live node dies), or nil when no node is live.
    public var nextDeadline: ContinuousClock.Instant? {
        members.values.lazy.filter { $0.state == .live }.map { deadline(of: $0) }.min()
    }

    /// Takes an authenticated beat received at `now` (monotonic) when our wall clock read `wallClock` (ns since
    /// the epoch): the events it causes, or why it does not count (also added to ``rejections``).
    public mutating func receive(_ heartbeat: Heartbeat, at now: ContinuousClock.Instant,
                                 wallClock: UInt64) -> Result<[MembershipEvent], HeartbeatRejection> {
        if let rejection = check(heartbeat, wallClock: wallClock) {
            count(rejection)
            return .failure(rejection)
        }
        let name = heartbeat.node
        let interval = Duration.milliseconds(Int64(heartbeat.intervalMilliseconds))
        var member = Member(state: heartbeat.leaving ? .left : .live, incarnation: heartbeat.incarnation,
                            sequence: heartbeat.sequence, interval: interval, lastHeard: now)
        defer { members[name] = member }
        guard let known = members[name] else {
            return .success(heartbeat.leaving ? [] : [.joined(name)])
        }
        switch (known.state, heartbeat.leaving) {
        case (.live, true):
            return .success([.left(name)])
        case (.live, false):
            return .success(heartbeat.incarnation > known.incarnation ? [.restarted(name)] : [])
        case (.dead, true), (.left, true):
            return .success([])
        case (.dead, false):
            return .success([.joined(name)])
        case (.left, false):
            if heartbeat.incarnation == known.incarnation {
                member = known
                count(.leftIncarnation)
                return .failure(.leftIncarnation)
            }
            return .success([.joined(name)])
        }
    }

    /// Declares dead the live nodes whose deadline has passed at `now`, and forgets nodes gone long enough that
    /// no beat of theirs could pass the time window any more.
    public mutating func tick(at now: ContinuousClock.Instant) -> [MembershipEvent] {
        var events: [MembershipEvent] = []
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            switch member.state {
            case .live where deadline(of: member) <= now:
                members[name]?.state = .dead
                events.append(.died(name))
            case .dead, .left:
                if deadline(of: member) + maxClockSkew * 2 <= now { members[name] = nil }
            case .live:
                break
            }
        }
        return events
    }

    /// Counts a rejection found outside the state machine (by the codec).
    public mutating func count(_ rejection: HeartbeatRejection) {
        rejections[rejection, default: 0] += 1
    }

    /// The instant `member` dies without another beat.
    private func deadline(of member: Member) -> ContinuousClock.Instant {
        member.lastHeard + member.interval * deadAfter + member.interval / 2
    }

    /// Why `heartbeat` must not count, or nil when it may.
    private func check(_ heartbeat: Heartbeat, wallClock: UInt64) -> HeartbeatRejection? {
        if heartbeat.node == node {
            if heartbeat.incarnation == incarnation { return .fromSelf }
            // Our previous life ended before we started: its beats all carry a timestamp before our incarnation.
            if heartbeat.incarnation < incarnation && heartbeat.timestamp < incarnation { return .oldIncarnation }
            return .duplicateNodeName
        }
        if let known = members[heartbeat.node] {
            if heartbeat.incarnation < known.incarnation { return .oldIncarnation }
            if heartbeat.incarnation == known.incarnation && heartbeat.sequence <= known.sequence {
                return .replayed
            }
        }
        let skew = wallClock > heartbeat.timestamp ? wallClock - heartbeat.timestamp : heartbeat.timestamp - wallClock
        if skew > maxClockSkewNanoseconds { return .clockSkew }
        return nil
    }
}
