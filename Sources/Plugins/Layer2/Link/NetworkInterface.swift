public import LBKernel

/// One network interface of the host as the scanner saw it: what interface selection and the link readers need.
///
/// A snapshot: flags, addresses and enslavement change at any time, so the announcer rescans periodically and compares.
public struct NetworkInterface: Hashable, Sendable {
    /// The interface's name (`eth0`).
    public var name: String
    /// The kernel's interface index; a new interface with the same name gets a new index.
    public var index: Int32
    /// The hardware address, nil when the interface has no 6-octet link-layer address (a tunnel, for example).
    public var mac: MACAddress?
    /// Whether the interface is administratively up (`IFF_UP`).
    public var isUp: Bool
    /// Whether the interface is running: up with a carrier (`IFF_RUNNING`).
    public var isRunning: Bool
    /// Whether this is a loopback interface (`IFF_LOOPBACK`).
    public var isLoopback: Bool
    /// Whether the interface supports broadcast (`IFF_BROADCAST`), which ARP needs.
    public var supportsBroadcast: Bool
    /// Whether ARP is disabled on the interface (`IFF_NOARP`).
    public var noARP: Bool
    /// The bond or bridge this interface is enslaved to, nil when it is not a member of one.
    public var master: String?
    /// The interface's IPv4 addresses, in the order the kernel lists them.
    public var ipv4: [IPv4Address]
    /// The interface's IPv6 addresses other than link-local ones, in the order the kernel lists them.
    public var ipv6: [IPv6Address]
    /// The interface's first fe80::/10 address, nil when it has none (then NDP cannot be spoken on it).
    public var ipv6LinkLocal: IPv6Address?

    /// Creates an interface record; the scanner fills it from the kernel, tests write it by hand.
    public init(
        name: String, index: Int32, mac: MACAddress?, isUp: Bool = true, isRunning: Bool = true,
        isLoopback: Bool = false, supportsBroadcast: Bool = true, noARP: Bool = false, master: String? = nil,
        ipv4: [IPv4Address] = [], ipv6: [IPv6Address] = [], ipv6LinkLocal: IPv6Address? = nil
    ) {
        self.name = name
        self.index = index
        self.mac = mac
        self.isUp = isUp
        self.isRunning = isRunning
        self.isLoopback = isLoopback
        self.supportsBroadcast = supportsBroadcast
        self.noARP = noARP
        self.master = master
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.ipv6LinkLocal = ipv6LinkLocal
    }
}
