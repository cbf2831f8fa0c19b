extension Membership {
    /// What a running ``Membership`` has sent and received, for the status file and troubleshooting.
    public struct Counters: Hashable, Sendable, Encodable {
        /// Datagrams sent (one per destination per beat).
        public var sent = 0
        /// Datagrams the kernel refused to send (an interface gone, no route...).
        public var sendErrors = 0
        /// Datagrams received.
        public var received = 0
        /// Beats accepted.
        public var accepted = 0
        /// Datagrams rejected, per reason.
        public var rejected: [HeartbeatRejection: Int] = [:]

        /// Creates counters at zero.
        public init() {}

        enum CodingKeys: String, CodingKey { case sent, sendErrors, received, accepted, rejected }

        /// Encodes the counters, `rejected` as an object keyed by reason.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sent, forKey: .sent)
            try c.encode(sendErrors, forKey: .sendErrors)
            try c.encode(received, forKey: .received)
            try c.encode(accepted, forKey: .accepted)
            try c.encode(Dictionary(uniqueKeysWithValues: rejected.map { ($0.key.rawValue, $0.value) }),
                         forKey: .rejected)
        }
    }
}

/// Decides which repeated problems are logged: at most once per `period` for each key (a rejection reason and
/// source address, a destination...), so a flood of bad datagrams costs one line per source every 10 s, not one
/// per datagram.
struct LogLimiter<Key: Hashable & Sendable>: Sendable {
    /// The shortest time between two lines for one key.
    var period: Duration = .seconds(10)
    /// The most keys remembered; beyond it, new keys are not logged until old ones expire.
    var capacity = 1024
    private var lastLogged: [Key: ContinuousClock.Instant] = [:]
    private var suppressed: [Key: Int] = [:]

    /// Whether a problem of `key` at `now` is logged and, if so, how many of its kind were not since the last
    /// line; nil when it is not logged.
    mutating func shouldLog(_ key: Key, at now: ContinuousClock.Instant) -> Int? {
        if let last = lastLogged[key], now < last + period {
            suppressed[key, default: 0] += 1
            return nil
        }
        if lastLogged[key] == nil && lastLogged.count >= capacity {
            lastLogged = lastLogged.filter { now < $0.value + period }
            suppressed = suppressed.filter { lastLogged[$0.key] != nil }
            if lastLogged.count >= capacity { return nil }
        }
        lastLogged[key] = now
        return suppressed.removeValue(forKey: key) ?? 0
    }
}
