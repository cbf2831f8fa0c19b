// A core/v1 Service as lbd reads it: only the fields the mapping uses; unknown fields are ignored.
public import LBKernel

/// A Kubernetes Service (core/v1).
public struct KubeService: KubeObject, Codable, Hashable {
    /// `Service`.
    public static let kind = "Service"
    /// The metadata.
    public var metadata: ObjectMeta
    /// The spec.
    public var spec: ServiceSpec
    /// The status (`status.loadBalancer.ingress`).
    public var status: ServiceStatus

    /// Creates a service object.
    public init(metadata: ObjectMeta, spec: ServiceSpec = ServiceSpec(), status: ServiceStatus = ServiceStatus()) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case metadata, spec, status }

    /// Decodes a service; `spec` and `status` may be absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        spec = try c.decodeIfPresent(ServiceSpec.self, forKey: .spec) ?? ServiceSpec()
        status = try c.decodeIfPresent(ServiceStatus.self, forKey: .status) ?? ServiceStatus()
    }

    /// The kernel's id: namespace (`default` when absent) and name.
    public var id: ServiceID { ServiceID(namespace: metadata.namespace ?? "default", name: metadata.name) }
}

/// `Service.spec`: the fields lbd reads.
public struct ServiceSpec: Codable, Hashable, Sendable {
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`; nil means `ClusterIP`.
    public var type: String?
    /// The load-balancer implementation the service asks for, or nil.
    public var loadBalancerClass: String?
    /// The deprecated single requested address, or nil.
    public var loadBalancerIP: String?
    /// The primary cluster IP (`None` for headless services).
    public var clusterIP: String?
    /// The cluster IPs, primary first.
    public var clusterIPs: [String]?
    /// The families, primary first (`IPv4`, `IPv6`).
    public var ipFamilies: [String]?
    /// `SingleStack`, `PreferDualStack` or `RequireDualStack`; nil means single stack.
    public var ipFamilyPolicy: String?
    /// The ports.
    public var ports: [Port]?
    /// `Cluster` (default) or `Local`.
    public var externalTrafficPolicy: String?
    /// The pod selector.
    public var selector: [String: String]?

    /// Creates a spec.
    public init(type: String? = nil, loadBalancerClass: String? = nil, loadBalancerIP: String? = nil,
                clusterIP: String? = nil, clusterIPs: [String]? = nil, ipFamilies: [String]? = nil,
                ipFamilyPolicy: String? = nil, ports: [Port]? = nil, externalTrafficPolicy: String? = nil,
                selector: [String: String]? = nil) {
        self.type = type
        self.loadBalancerClass = loadBalancerClass
        self.loadBalancerIP = loadBalancerIP
        self.clusterIP = clusterIP
        self.clusterIPs = clusterIPs
        self.ipFamilies = ipFamilies
        self.ipFamilyPolicy = ipFamilyPolicy
        self.ports = ports
        self.externalTrafficPolicy = externalTrafficPolicy
        self.selector = selector
    }

    /// One entry of `spec.ports`.
    public struct Port: Codable, Hashable, Sendable {
        /// The port's name, or nil.
        public var name: String?
        /// `TCP` (default), `UDP` or `SCTP`.
        public var `protocol`: String?
        /// The port number.
        public var port: Int

        /// Creates a port.
        public init(name: String? = nil, protocol: String? = nil, port: Int) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
        }
    }
}

/// `Service.status`: the load balancer's ingress points.
public struct ServiceStatus: Codable, Hashable, Sendable {
    /// `status.loadBalancer`, or nil.
    public var loadBalancer: LoadBalancerStatus?

    /// Creates a status.
    public init(loadBalancer: LoadBalancerStatus? = nil) { self.loadBalancer = loadBalancer }

    /// The addresses in `status.loadBalancer.ingress`, in order (hostname entries are ignored).
    public var ingressIPs: [String] { (loadBalancer?.ingress ?? []).compactMap(\.ip) }
}

/// `status.loadBalancer`.
public struct LoadBalancerStatus: Codable, Hashable, Sendable {
    /// The ingress points.
    public var ingress: [LoadBalancerIngress]?

    /// Creates a status.
    public init(ingress: [LoadBalancerIngress]? = nil) { self.ingress = ingress }
}

/// One entry of `status.loadBalancer.ingress`.
public struct LoadBalancerIngress: Codable, Hashable, Sendable {
    /// The address, or nil for hostname entries.
    public var ip: String?
    /// The host name, or nil.
    public var hostname: String?

    /// Creates an entry.
    public init(ip: String? = nil, hostname: String? = nil) {
        self.ip = ip
        self.hostname = hostname
    }
}
