/// A received BFD datagram that breaks a reception rule: the reason to count and a message for logs.
public struct BFDPacketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rule broken.
    public var reason: BFDDiscardReason
    /// What was wrong, naming the field and the rule (for logs).
    public var message: String

    /// Creates an error.
    public init(_ reason: BFDDiscardReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// The message and the reason, for logs.
    public var description: String { "\(message) (\(reason))" }
}
