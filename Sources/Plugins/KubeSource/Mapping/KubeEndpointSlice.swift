// EndpointSlices (discovery.k8s.io/v1) → the nodes where each service has a serving endpoint.
public import LBKernel

/// An EndpointSlice (discovery.k8s.io/v1): the fields lbd reads.
public struct KubeEndpointSlice: KubeObject, Codable, Hashable {
    /// `EndpointSlice`.
    public static let kind = "EndpointSlice"
    /// The label naming the service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The metadata.
    public var metadata: ObjectMeta
    /// The endpoints (`null` in the API when there are none).
    public var endpoints: [Endpoint]?

    /// Creates a slice.
    public init(metadata: ObjectMeta, endpoints: [Endpoint]? = nil) {
        self.metadata = metadata
        self.endpoints = endpoints
    }

    /// One endpoint: its conditions and node.
    public struct Endpoint: Codable, Hashable, Sendable {
        /// The conditions; absent ones mean "unknown".
        public var conditions: Conditions?
        /// The node hosting the endpoint, or nil.
        public var nodeName: String?

        /// Creates an endpoint.
        public init(conditions: Conditions? = nil, nodeName: String? = nil) {
            self.conditions = conditions
            self.nodeName = nodeName
        }

        /// True when the endpoint serves: `ready` is not false, or `serving` is true (terminating but still
        /// serving counts, as in MetalLB).
        public var isServing: Bool {
            conditions?.ready != false || conditions?.serving == true
        }
    }

    /// `endpoints[].conditions`.
    public struct Conditions: Codable, Hashable, Sendable {
        /// Ready; nil means unknown (treated as ready).
        public var ready: Bool?
        /// Serving (ready or not, while terminating).
        public var serving: Bool?
        /// Terminating.
        public var terminating: Bool?

        /// Creates conditions.
        public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }

    /// The service this slice belongs to, from its `kubernetes.io/service-name` label; nil without it.
    public var serviceID: ServiceID? {
        guard let name = metadata.labels[Self.serviceNameLabel], !name.isEmpty else { return nil }
        return ServiceID(namespace: metadata.namespace ?? "default", name: name)
    }
}

/// The nodes with a serving endpoint, per service, aggregated over all slices of each service.
public struct EndpointIndex: Hashable, Sendable {
    /// Per service, the nodes with at least one serving endpoint.
    public private(set) var nodes: [ServiceID: Set<String>] = [:]

    /// Indexes `slices`; slices without the service-name label and endpoints without a node are ignored.
    public init(_ slices: [KubeEndpointSlice]) {
        for slice in slices {
            guard let id = slice.serviceID else { continue }
            var serving = nodes[id] ?? []
            for endpoint in slice.endpoints ?? [] where endpoint.isServing {
                if let node = endpoint.nodeName, !node.isEmpty { serving.insert(node) }
            }
            nodes[id] = serving
        }
    }

    /// The kernel's endpoints of `service`: the serving nodes, empty when it has no slice.
    public func endpoints(of service: ServiceID) -> Endpoints { .onNodes(nodes[service] ?? []) }
}
