// Nodes → the kernel's `Node`: labels (the exclusion label included, the kernel reads it) and NetworkUnavailable.
public import LBKernel

/// A Node (core/v1): labels and conditions.
public struct KubeNode: KubeObject, Codable, Hashable {
    /// `Node`.
    public static let kind = "Node"
    /// The metadata.
    public var metadata: ObjectMeta
    /// The status (conditions).
    public var status: Status?

    /// Creates a node object.
    public init(metadata: ObjectMeta, status: Status? = nil) {
        self.metadata = metadata
        self.status = status
    }

    /// `Node.status`.
    public struct Status: Codable, Hashable, Sendable {
        /// The conditions.
        public var conditions: [Condition]?

        /// Creates a status.
        public init(conditions: [Condition]? = nil) { self.conditions = conditions }
    }

    /// One node condition.
    public struct Condition: Codable, Hashable, Sendable {
        /// The condition type (`Ready`, `NetworkUnavailable`, …).
        public var type: String
        /// `True`, `False` or `Unknown`.
        public var status: String

        /// Creates a condition.
        public init(type: String, status: String) {
            self.type = type
            self.status = status
        }
    }

    /// The kernel's node: name, labels, and `NetworkUnavailable=True`.
    public var node: Node {
        let unavailable = status?.conditions?.contains { $0.type == "NetworkUnavailable" && $0.status == "True" }
        return Node(name: metadata.name, labels: metadata.labels, networkUnavailable: unavailable ?? false)
    }
}

/// A Namespace (core/v1): its labels, for pools' `namespaceSelectors`.
public struct KubeNamespace: KubeObject, Codable, Hashable {
    /// `Namespace`.
    public static let kind = "Namespace"
    /// The metadata.
    public var metadata: ObjectMeta

    /// Creates a namespace object.
    public init(metadata: ObjectMeta) { self.metadata = metadata }

    /// The labels of every namespace, by name: what `Policy.namespaceLabels` holds.
    public static func labels(_ namespaces: [KubeNamespace]) -> [String: Labels] {
        Dictionary(namespaces.map { ($0.metadata.name, $0.metadata.labels) }) { first, _ in first }
    }
}
