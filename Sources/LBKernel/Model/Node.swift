/// A node that may announce service addresses: a Kubernetes node, or a plain host running lbd.
public struct Node: Hashable, Sendable, Codable, Comparable {
    /// The node's unique name.
    public var name: String
    /// The node's labels, matched by advertisements' and peers' `nodeSelectors`.
    public var labels: Labels
    /// True when the node reports the condition `NetworkUnavailable=True`; it then announces nothing.
    public var networkUnavailable: Bool

    /// The label that excludes a node from announcing (`node.kubernetes.io/exclude-from-external-load-balancers`).
    public static let excludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"

    /// Creates a node.
    public init(name: String, labels: Labels = [:], networkUnavailable: Bool = false) {
        self.name = name
        self.labels = labels
        self.networkUnavailable = networkUnavailable
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, labels, networkUnavailable }

    /// Decodes a node; only `name` is required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        labels = try c.decodeIfPresent(Labels.self, forKey: .labels) ?? [:]
        networkUnavailable = try c.decodeIfPresent(Bool.self, forKey: .networkUnavailable) ?? false
    }

    /// True when the node carries the exclusion label.
    public var isExcludedFromLoadBalancers: Bool { labels[Node.excludeLabel] != nil }

    /// Orders nodes by name.
    public static func < (lhs: Node, rhs: Node) -> Bool { lhs.name < rhs.name }
}
