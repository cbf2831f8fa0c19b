/// A failure of link I/O on one interface: opening or reading a capture handle, sending a frame, joining a group.
public struct LinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed, stable for code that reacts (reopen later, count, log).
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// The capture handle could not be created or activated (permissions, bad name, no libpcap support).
        case open
        /// The interface does not exist or disappeared; reopen it once a scan sees it again.
        case interfaceGone
        /// The capture filter did not compile or could not be installed.
        case filter
        /// Reading frames failed.
        case receive
        /// Sending a frame failed.
        case inject
        /// The link was closed before the operation.
        case closed
        /// A multicast group could not be joined.
        case join
        /// A multicast group could not be left.
        case leave
        /// A socket or descriptor could not be created.
        case socket
    }

    /// What failed.
    public var code: Code
    /// The interface it failed on.
    public var interface: String
    /// The details: libpcap's error text (`pcap_geterr`) or the system error, with the operation and its object.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, interface: String, message: String) {
        self.code = code
        self.interface = interface
        self.message = message
    }

    /// `<interface>: <message>`.
    public var description: String { "\(interface): \(message)" }
}
