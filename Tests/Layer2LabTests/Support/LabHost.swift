import LBKernel

/// One namespace on the lab's bridge: the client, the observer or a node.
struct LabHost: Sendable, Hashable, CustomStringConvertible {
    /// The short name (`client`, `obs`, `n1`…), which is also a node's lbd name and its echo server's answer.
    var name: String
    /// The namespace (`lbdl-<id>-<name>`).
    var namespace: String
    /// Its interface on the bridge, inside its namespace.
    var interface = "eth0"
    /// The bridge's end of its veth pair, in the `lan` namespace (`p-<name>`).
    var port: String
    /// The interface's MAC address, lower case (`02:97:00:00:00:11`).
    var mac: String
    /// The interface's IPv4 address (/24).
    var ipv4: IPv4Address
    /// The interface's IPv6 address (/64).
    var ipv6: IPv6Address

    /// `name (namespace, mac)`.
    var description: String { "\(name) (\(namespace), \(mac))" }
}
