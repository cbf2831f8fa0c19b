/// Why a received message could not be used, and what the session must do about it.
///
/// RFC 4271 §6 says which NOTIFICATION each malformation calls for; RFC 7606 §2 softens most UPDATE errors to
/// treat-as-withdraw or attribute-discard so that one bad route does not reset the session.
public struct BGPDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the session does.
    public var action: Action
    /// What was wrong, in words, naming the field (for logs).
    public var message: String
    /// For a treat-as-withdraw or attribute-discard error, the UPDATE as far as it could be decoded, without the
    /// malformed attributes (with treat-as-withdraw, its announced prefixes count as withdrawn); nil otherwise.
    public var update: UpdateMessage?

    /// The session's reaction to a malformed message.
    public enum Action: Hashable, Sendable {
        /// Send this NOTIFICATION and close the session (RFC 4271 §6, or RFC 7606 "session reset").
        case sendNotification(NotificationMessage)
        /// Treat the UPDATE's announced routes as withdrawn and carry on (RFC 7606 §2 "treat-as-withdraw").
        case treatAsWithdraw
        /// Drop the attribute and use the rest of the UPDATE (RFC 7606 §2 "attribute discard").
        case attributeDiscard
    }

    /// Creates an error.
    public init(_ action: Action, _ message: String, update: UpdateMessage? = nil) {
        self.action = action
        self.message = message
        self.update = update
    }

    /// How strong the action is, for RFC 7606 §3: when several errors occur, the strongest action applies.
    var severity: Int {
        switch action {
        case .attributeDiscard: 1
        case .treatAsWithdraw: 2
        case .sendNotification: 3
        }
    }

    /// An error that resets the session with `code`/`subcode`.
    public static func notification(_ code: NotificationMessage.ErrorCode, _ subcode: UInt8, data: [UInt8] = [],
                                    _ message: String) -> BGPDecodeError {
        BGPDecodeError(.sendNotification(NotificationMessage(code: code, subcode: subcode, data: data)), message)
    }

    /// The message and the action, for logs.
    public var description: String {
        switch action {
        case .sendNotification(let n): "\(message) (\(n))"
        case .treatAsWithdraw: "\(message) (treat-as-withdraw, RFC 7606)"
        case .attributeDiscard: "\(message) (attribute discarded, RFC 7606)"
        }
    }
}
