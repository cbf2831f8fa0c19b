public import LBKernel

/// The interface a frame arrived on, as the responder needs it.
public struct ResponderInterface: Hashable, Sendable {
    /// The interface name (matched against the answer table's allowed interfaces).
    public var name: String
    /// The interface's MAC address: replies come from it, and frames from it are our own.
    public var mac: MACAddress

    /// Creates an interface description.
    public init(name: String, mac: MACAddress) {
        self.name = name
        self.mac = mac
    }
}

/// What the responder decided for one received frame.
public enum ResponderOutcome: Hashable, Sendable {
    /// Send `frame` (a whole Ethernet frame) on the interface the request came in on; it answers for `address`.
    case reply(frame: [UInt8], address: IPAddress)
    /// Do nothing, for this reason.
    case drop(DropReason)
    /// Another station announced an address of the answer table (a gratuitous ARP, an ARP reply, or a Neighbor
    /// Advertisement with the Override flag): tell the ownership state machine; never answered.
    case claim(AddressClaim)
}
