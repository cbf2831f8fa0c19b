/// Why the responder did not answer a frame (and did not report it as a claim either).
///
/// The raw values are stable: they name counters and log fields.
public enum DropReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The frame, its ARP packet or its neighbor discovery message does not decode (`FrameDecodeError`).
    case malformed
    /// Neither ARP nor a Neighbor Solicitation/Advertisement: another EtherType, IPv6 next header or ICMPv6 type.
    case unsupported
    /// The frame comes from our own MAC address (Ethernet source, ARP sender or advertised link-layer address).
    case ownFrame
    /// The source MAC address (Ethernet, ARP sender, or link-layer option) is multicast, broadcast or zero.
    case invalidSourceMAC
    /// ARP: the Ethernet destination is neither broadcast nor our MAC; NS: the IPv6 destination is neither the
    /// target's solicited-node group nor the target, or the Ethernet destination does not match it.
    case notAddressedToUs
    /// A Neighbor Advertisement without the Override flag: neither a question nor a claim.
    case notARequest
    /// The address asked for (or claimed) is not in the answer table.
    case notOwned
    /// The address is in the table but not answered on the interface the request came in on.
    case interfaceNotAllowed
    /// A neighbor discovery message whose hop limit is not 255: it crossed a router (RFC 4861 §7.1.1/§7.1.2).
    case hopLimitNot255

    /// A short phrase for logs.
    public var description: String {
        switch self {
        case .malformed: "malformed frame"
        case .unsupported: "not ARP or neighbor discovery"
        case .ownFrame: "sent from our own MAC address"
        case .invalidSourceMAC: "invalid (multicast or zero) source MAC address"
        case .notAddressedToUs: "not addressed to us"
        case .notARequest: "neither a request nor a claim"
        case .notOwned: "address not in the answer table"
        case .interfaceNotAllowed: "address not answered on this interface"
        case .hopLimitNot255: "hop limit not 255"
        }
    }
}
