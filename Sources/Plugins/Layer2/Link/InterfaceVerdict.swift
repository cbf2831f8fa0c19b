/// Whether the Layer 2 plugin announces on an interface, and with which protocols.
public enum InterfaceVerdict: Hashable, Sendable, CustomStringConvertible {
    /// Announce: answer ARP when `arp` (broadcast-capable, ARP enabled), answer NDP when `ndp` (an IPv6
    /// link-local address exists).
    case announce(arp: Bool, ndp: Bool)
    /// Do not announce here, for the given reason.
    case skip(InterfaceSkipReason)

    /// Whether ARP is answered on the interface.
    public var arp: Bool { if case .announce(let arp, _) = self { arp } else { false } }
    /// Whether NDP is answered on the interface.
    public var ndp: Bool { if case .announce(_, let ndp) = self { ndp } else { false } }

    /// `announce (arp, ndp)` or `skip: <reason>`.
    public var description: String {
        switch self {
        case .announce(let arp, let ndp):
            "announce (" + [arp ? "arp" : nil, ndp ? "ndp" : nil].compactMap { $0 }.joined(separator: ", ") + ")"
        case .skip(let reason):
            "skip: \(reason)"
        }
    }
}

/// Why an interface is not announced on.
public enum InterfaceSkipReason: Hashable, Sendable, CustomStringConvertible {
    /// The interface is administratively down.
    case down
    /// The interface is a loopback interface.
    case loopback
    /// ARP is disabled on the interface (`IFF_NOARP`); MetalLB skips such interfaces for NDP as well.
    case noARP
    /// The interface is a member of this bond or bridge: the master is announced on instead.
    case enslaved(to: String)
    /// The interface's name matches this exclusion pattern (automatic selection only).
    case excluded(pattern: String)
    /// Interfaces were named explicitly and this one is not among them.
    case notRequested
    /// The interface has no unicast 6-octet hardware address to answer with.
    case noMAC
    /// Neither ARP (no broadcast) nor NDP (no IPv6 link-local address) can be spoken on the interface.
    case nothingToAnnounce
    /// The interface was named explicitly but does not exist on this host.
    case notFound

    /// A short phrase for logs and the status file.
    public var description: String {
        switch self {
        case .down: "interface is down"
        case .loopback: "loopback interface"
        case .noARP: "ARP disabled (NOARP)"
        case .enslaved(let master): "enslaved to \(master)"
        case .excluded(let pattern): "excluded by pattern \"\(pattern)\""
        case .notRequested: "not among the requested interfaces"
        case .noMAC: "no unicast hardware address"
        case .nothingToAnnounce: "neither broadcast-capable nor with an IPv6 link-local address"
        case .notFound: "requested but not present"
        }
    }
}
