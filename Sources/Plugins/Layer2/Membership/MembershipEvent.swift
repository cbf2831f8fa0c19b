/// A change in what this node knows of another node, from ``MembershipStateMachine``.
public enum MembershipEvent: Hashable, Sendable, CustomStringConvertible {
    /// The node became live: its first beat, or its first since it died or left.
    case joined(String)
    /// A live node announced a higher incarnation: it restarted faster than it could be declared dead, so what it
    /// did before (the addresses it answered for) is forgotten on its side.
    case restarted(String)
    /// A live node said it was leaving (a graceful shutdown): gone at once.
    case left(String)
    /// A live node sent no beat for `deadAfter` of its intervals (plus half an interval of grace).
    case died(String)

    /// The node the event is about.
    public var node: String {
        switch self {
        case .joined(let node), .restarted(let node), .left(let node), .died(let node): node
        }
    }

    /// `joined n2`, `died n3`, ...
    public var description: String {
        switch self {
        case .joined(let node): "joined \(node)"
        case .restarted(let node): "restarted \(node)"
        case .left(let node): "left \(node)"
        case .died(let node): "died \(node)"
        }
    }
}

/// What ``Membership/updates`` delivers whenever the live set changes or an event happens.
public struct MembershipUpdate: Hashable, Sendable, CustomStringConvertible {
    /// The other nodes live now (never this node).
    public var live: Set<String>
    /// What happened since the previous update, in order.
    public var events: [MembershipEvent]

    /// Creates an update.
    public init(live: Set<String>, events: [MembershipEvent]) {
        self.live = live
        self.events = events
    }

    /// `live [n2, n3]: joined n3`.
    public var description: String {
        "live \(live.sorted())" + (events.isEmpty ? "" : ": " + events.map(\.description).joined(separator: ", "))
    }
}
