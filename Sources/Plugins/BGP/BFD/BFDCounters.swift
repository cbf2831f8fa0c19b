/// What a BFD session has sent and received since it started, for metrics and tests.
public struct BFDCounters: Hashable, Sendable {
    /// Valid packets handed to the state machine.
    public var packetsReceived = 0
    /// Packets sent.
    public var packetsSent = 0
    /// Packets the system refused to send (for example the network is unreachable while a link is down).
    public var sendFailures = 0
    /// Received datagrams dropped, by reason.
    public var discarded: [BFDDiscardReason: Int] = [:]

    /// Creates zero counters.
    public init() {}

    /// All received datagrams dropped, whatever the reason.
    public var totalDiscarded: Int { discarded.values.reduce(0, +) }
}
