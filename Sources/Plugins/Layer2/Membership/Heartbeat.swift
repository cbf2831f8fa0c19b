/// One heartbeat: an lbd node telling the others on its segment that it is alive (or, with ``leaving``, that it is
/// going away now).
///
/// ``HeartbeatCodec`` puts it on the wire, authenticated; ``MembershipStateMachine`` turns a stream of them into
/// joined, died, left and restarted nodes.
public struct Heartbeat: Hashable, Sendable, CustomStringConvertible {
    /// The sender's node name: 1 to 253 octets of UTF-8 (a Kubernetes node name or a DNS name fits).
    public var node: String
    /// The sender's start time in nanoseconds since the Unix epoch: a restarted node always announces a higher one,
    /// which tells the others that its state (what it answered for) starts afresh.
    public var incarnation: UInt64
    /// The beat's number within the incarnation, one higher for every beat sent (leaving beats included).
    public var sequence: UInt64
    /// When the beat was sent, in nanoseconds since the Unix epoch (the sender's wall clock).
    public var timestamp: UInt64
    /// The sender's beat interval in milliseconds (at least 1): receivers declare it dead after their `deadAfter`
    /// of these without a beat, so nodes with different intervals still judge each other correctly.
    public var intervalMilliseconds: UInt32
    /// Whether the sender is shutting down: receivers mark it gone at once instead of waiting for it to die.
    public var leaving: Bool

    /// The longest node name in octets (a DNS name, RFC 1035 §2.3.4).
    public static let maximumNodeNameLength = 253

    /// Creates a heartbeat.
    public init(node: String, incarnation: UInt64, sequence: UInt64, timestamp: UInt64,
                intervalMilliseconds: UInt32, leaving: Bool = false) {
        self.node = node
        self.incarnation = incarnation
        self.sequence = sequence
        self.timestamp = timestamp
        self.intervalMilliseconds = intervalMilliseconds
        self.leaving = leaving
    }

    /// Whether `name` can be sent as a node name: 1 to 253 octets of UTF-8.
    public static func isValidNodeName(_ name: String) -> Bool {
        (1...maximumNodeNameLength).contains(name.utf8.count)
    }

    /// `node#incarnation/sequence`, with the interval, and `leaving` when set.
    public var description: String {
        "\(node)#\(incarnation)/\(sequence) every \(intervalMilliseconds)ms\(leaving ? " leaving" : "")"
    }
}
