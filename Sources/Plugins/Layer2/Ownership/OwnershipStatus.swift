public import LBKernel

/// Who owns what as this node sees it, for the status file and `lbd`'s troubleshooting output (JSON).
public struct OwnershipStatus: Hashable, Sendable, Codable {
    /// This node's role for one service.
    public enum State: String, Hashable, Sendable, Codable, CaseIterable {
        /// This node answers for the service and announced it.
        case owned
        /// This node lost the service and answers until the next owner has claimed it.
        case releasing
        /// Another node owns the service, or nobody yet.
        case standby
    }

    /// One service this node is a candidate for (or is still releasing).
    public struct Service: Hashable, Sendable, Codable {
        /// The service, encoded as `namespace/name`.
        public var service: ServiceID
        /// Its addresses; the first is the election key.
        public var addresses: [IPAddress]
        /// The interfaces answered on; empty means all.
        public var interfaces: [String]
        /// Every candidate in election order.
        public var ranking: [String]
        /// The candidates that count now (live, and this node while a candidate), in election order.
        public var live: [String]
        /// The elected owner, or nil when no candidate is live.
        public var owner: String?
        /// This node's role.
        public var state: State
        /// When the role last changed, RFC 3339 in UTC with milliseconds.
        public var since: String
        /// Why the role last changed.
        public var reason: OwnershipReason.Kind
        /// The node or claim the reason names, if any.
        public var reasonDetail: String?
        /// While releasing, the addresses no other station has claimed yet; empty otherwise.
        public var awaitingClaims: [IPAddress]

        /// Creates a service entry.
        public init(service: ServiceID, addresses: [IPAddress], interfaces: [String], ranking: [String],
                    live: [String], owner: String?, state: State, since: String, reason: OwnershipReason.Kind,
                    reasonDetail: String?, awaitingClaims: [IPAddress]) {
            self.service = service
            self.addresses = addresses
            self.interfaces = interfaces
            self.ranking = ranking
            self.live = live
            self.owner = owner
            self.state = state
            self.since = since
            self.reason = reason
            self.reasonDetail = reasonDetail
            self.awaitingClaims = awaitingClaims
        }

        enum CodingKeys: String, CodingKey {
            case service, addresses, interfaces, ranking, live, owner, state, since, reason, reasonDetail
            case awaitingClaims
        }

        /// Decodes an entry whose `service` is `namespace/name`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(service: ServiceID(try c.decode(String.self, forKey: .service)),
                      addresses: try c.decode([IPAddress].self, forKey: .addresses),
                      interfaces: try c.decode([String].self, forKey: .interfaces),
                      ranking: try c.decode([String].self, forKey: .ranking),
                      live: try c.decode([String].self, forKey: .live),
                      owner: try c.decodeIfPresent(String.self, forKey: .owner),
                      state: try c.decode(State.self, forKey: .state),
                      since: try c.decode(String.self, forKey: .since),
                      reason: try c.decode(OwnershipReason.Kind.self, forKey: .reason),
                      reasonDetail: try c.decodeIfPresent(String.self, forKey: .reasonDetail),
                      awaitingClaims: try c.decodeIfPresent([IPAddress].self, forKey: .awaitingClaims) ?? [])
        }

        /// Encodes the entry with `service` as `namespace/name`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(service.description, forKey: .service)
            try c.encode(addresses, forKey: .addresses)
            try c.encode(interfaces, forKey: .interfaces)
            try c.encode(ranking, forKey: .ranking)
            try c.encode(live, forKey: .live)
            try c.encodeIfPresent(owner, forKey: .owner)
            try c.encode(state, forKey: .state)
            try c.encode(since, forKey: .since)
            try c.encode(reason, forKey: .reason)
            try c.encodeIfPresent(reasonDetail, forKey: .reasonDetail)
            try c.encode(awaitingClaims, forKey: .awaitingClaims)
        }
    }

    /// This node's name.
    public var node: String
    /// Whether the startup hold is over.
    public var ready: Bool
    /// Whether the node is shutting down.
    public var shuttingDown: Bool
    /// The other nodes heard from, sorted.
    public var live: [String]
    /// The services, sorted by id.
    public var services: [Service]

    /// Creates a status.
    public init(node: String, ready: Bool, shuttingDown: Bool, live: [String], services: [Service]) {
        self.node = node
        self.ready = ready
        self.shuttingDown = shuttingDown
        self.live = live
        self.services = services
    }
}
