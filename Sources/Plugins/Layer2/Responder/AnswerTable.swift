public import LBKernel

/// The addresses this node answers ARP/NDP for right now, each with the interfaces it may answer on.
///
/// The ownership state machine builds it (owned addresses, and addresses being handed over that are still
/// answered until the next owner has announced them); the link readers consult it for every request.
public struct AnswerTable: Hashable, Sendable {
    /// Per address, the interfaces to answer on; an empty set means every announcing interface.
    public var entries: [IPAddress: Set<String>]

    /// Creates a table.
    public init(entries: [IPAddress: Set<String>] = [:]) { self.entries = entries }

    /// The empty table: nothing is answered.
    public static let empty = AnswerTable()

    /// Whether a request for `address` that arrived on `interface` is answered.
    public func answers(_ address: IPAddress, on interface: String) -> Bool {
        guard let interfaces = entries[address] else { return false }
        return interfaces.isEmpty || interfaces.contains(interface)
    }

    /// The IPv6 addresses of the table: their solicited-node groups must be joined.
    public var ipv6Addresses: [IPv6Address] {
        entries.keys.compactMap { if case .v6(let a) = $0 { a } else { nil } }.sorted()
    }
}

/// Another station's announcement of an address: a gratuitous ARP or an unsolicited Neighbor Advertisement with the
/// Override flag, seen on one of our interfaces from a MAC address that is not ours.
///
/// A node handing an address over stops answering for it once it sees the next owner's claim (make-before-break).
public struct AddressClaim: Hashable, Sendable, CustomStringConvertible {
    /// The address announced.
    public var address: IPAddress
    /// The hardware address it was announced with.
    public var mac: MACAddress
    /// The interface the announcement arrived on.
    public var interface: String

    /// Creates a claim.
    public init(address: IPAddress, mac: MACAddress, interface: String) {
        self.address = address
        self.mac = mac
        self.interface = interface
    }

    /// `10.0.0.1 is-at 02:…:01 on eth0`.
    public var description: String { "\(address) is-at \(mac) on \(interface)" }
}
