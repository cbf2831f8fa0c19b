/// Why a ``Membership`` cannot start.
public struct MembershipError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// The node name cannot be sent (empty, or longer than 253 octets).
        case invalidNodeName
        /// No key was given.
        case noKey
        /// A socket could not be opened, bound or configured.
        case socket
    }

    /// The kind of failure.
    public var code: Code
    /// What failed, naming the node, port or system call.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
