/// What one lbd node's layer2 status file says (the brief's format: `node`, `ready`, `live`, `interfaces`,
/// `services` with `owner`, `state`, `ranking`, `live`). Read leniently: keys the tests do not use may change.
struct NodeStatus: Decodable, Sendable, CustomStringConvertible {
    /// An interface the node announces on.
    struct Interface: Decodable, Sendable {
        /// Its name.
        var name: String
        /// Its MAC address.
        var mac: String?
        /// Whether ARP is answered on it.
        var arp: Bool?
        /// Whether NDP is answered on it.
        var ndp: Bool?
    }

    /// One service the node is a candidate for.
    struct Service: Decodable, Sendable {
        /// `namespace/name`.
        var service: String
        /// Its addresses.
        var addresses: [String]
        /// The owner this node sees (itself included), or nil.
        var owner: String?
        /// `owned`, `releasing` or `standby`.
        var state: String
        /// The election order of the candidates.
        var ranking: [String]?
        /// The live candidates this node sees.
        var live: [String]?
    }

    /// The node's name.
    var node: String
    /// False during the startup hold.
    var ready: Bool
    /// The other nodes it hears.
    var live: [String]
    /// Where it announces.
    var interfaces: [Interface]?
    /// The services it is a candidate for.
    var services: [Service]

    /// The entry for `service`, if the node has one.
    func service(_ id: String) -> Service? { services.first { $0.service == id } }

    /// `n1 ready live=[n2, n3] default/echo: owned by n1`, for wait messages.
    var description: String {
        "\(node) \(ready ? "ready" : "holding") live=\(live.sorted())"
            + services.map { " \($0.service): \($0.state), owner \($0.owner ?? "none")" }.joined()
    }
}
