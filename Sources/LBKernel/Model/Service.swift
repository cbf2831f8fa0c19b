/// The stable identity of a service: its namespace and name.
public struct ServiceID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The namespace (`default` for plain hosts unless given).
    public var namespace: String
    /// The name, unique within the namespace.
    public var name: String

    /// Creates an id.
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Parses `namespace/name`; a bare `name` is in namespace `default`.
    public init(_ text: String) {
        if let slash = text.firstIndex(of: "/") {
            self.init(namespace: String(text[..<slash]), name: String(text[text.index(after: slash)...]))
        } else {
            self.init(namespace: "default", name: text)
        }
    }

    /// `namespace/name`.
    public var description: String { "\(namespace)/\(name)" }

    /// Orders by namespace, then name.
    public static func < (lhs: ServiceID, rhs: ServiceID) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// A transport protocol of a service port.
public enum TransportProtocol: String, Hashable, Comparable, Sendable, Codable, CaseIterable {
    /// TCP.
    case tcp = "TCP"
    /// UDP.
    case udp = "UDP"
    /// SCTP.
    case sctp = "SCTP"

    /// Orders TCP, UDP, SCTP.
    public static func < (lhs: TransportProtocol, rhs: TransportProtocol) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A port a service listens on: protocol and number.
public struct ServicePort: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The transport protocol.
    public var `protocol`: TransportProtocol
    /// The port number.
    public var port: UInt16

    /// Creates a port.
    public init(_ protocol: TransportProtocol, _ port: UInt16) {
        self.protocol = `protocol`
        self.port = port
    }

    /// Parses `TCP/80`, `udp/53` or a bare `80` (TCP); the number is 1–65535 in plain digits, as in Kubernetes.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let port = ServicePort.number(parts[0]) else { return nil }
            self.init(.tcp, port)
        case 2:
            guard let proto = TransportProtocol(rawValue: parts[0].uppercased()),
                  let port = ServicePort.number(parts[1]) else {
                return nil
            }
            self.init(proto, port)
        default:
            return nil
        }
    }

    /// A port number 1–65535 written in ASCII digits only (no sign, no spaces).
    private static func number(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let port = UInt16(text), port != 0 else { return nil }
        return port
    }

    /// `TCP/80`.
    public var description: String { "\(`protocol`.rawValue)/\(port)" }

    /// Orders by protocol, then number.
    public static func < (lhs: ServicePort, rhs: ServicePort) -> Bool {
        (lhs.protocol, lhs.port) < (rhs.protocol, rhs.port)
    }
}

extension ServicePort: Codable {
    /// Decodes `TCP/80` text or a bare number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt16.self) {
            guard number != 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "port 0 is not a service port (1-65535)")
            }
            self.init(.tcp, number)
            return
        }
        let text = try container.decode(String.self)
        guard let port = ServicePort(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a port such as TCP/80, UDP/53 or SCTP/9")
        }
        self = port
    }

    /// Encodes `TCP/80`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// How many address families a service wants (Kubernetes' `ipFamilyPolicy`).
public enum IPFamilyPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    /// One address, of the primary family.
    case singleStack = "SingleStack"
    /// Both families when one pool has both, else the primary family.
    case preferDualStack = "PreferDualStack"
    /// Both families from one pool, or nothing.
    case requireDualStack = "RequireDualStack"
}

/// Which nodes may attract a service's traffic (Kubernetes' `externalTrafficPolicy`).
public enum TrafficPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    /// Any eligible node, as long as the service has a ready endpoint somewhere.
    case cluster = "Cluster"
    /// Only nodes with a ready endpoint of the service.
    case local = "Local"
}

/// Where a service's ready endpoints are.
public enum Endpoints: Hashable, Sendable {
    /// Not tracked by the source (plain hosts): every node is assumed to serve.
    case unknown
    /// The nodes that have at least one ready (or serving) endpoint; empty means none anywhere.
    case onNodes(Set<String>)

    /// True when the service has a serving endpoint anywhere (or it is not tracked).
    public var any: Bool {
        switch self {
        case .unknown: true
        case .onNodes(let nodes): !nodes.isEmpty
        }
    }

    /// True when `node` has a serving endpoint (or it is not tracked).
    public func on(_ node: String) -> Bool {
        switch self {
        case .unknown: true
        case .onNodes(let nodes): nodes.contains(node)
        }
    }
}

/// A service as a source sees it: what it asks for, and where it can be served.
public struct Service: Hashable, Sendable, Identifiable {
    /// The stable id.
    public var id: ServiceID
    /// The service's labels, matched by pools' and advertisements' `serviceSelectors`.
    public var labels: Labels
    /// Explicitly requested addresses (at most one per family), or empty.
    public var requestedAddresses: [IPAddress]
    /// The pool the service asks for by name, or nil.
    public var requestedPool: String?
    /// The sharing key (`allow-shared-ip`), or nil: services share an address only with the same non-empty key.
    public var sharingKey: String?
    /// The ports and protocols the service uses; shared addresses need disjoint ports.
    public var ports: [ServicePort]
    /// How many families the service wants.
    public var ipFamilyPolicy: IPFamilyPolicy
    /// The families in preference order; the first is the primary family.
    public var ipFamilies: [IPFamily]
    /// The traffic policy.
    public var trafficPolicy: TrafficPolicy
    /// The backend identity for sharing under traffic policy Local (the pod selector); services with
    /// `Local` share an address only with the same backend.
    public var backendKey: String
    /// Where the ready endpoints are.
    public var endpoints: Endpoints

    /// Creates a service; by default single-stack IPv4, traffic policy Cluster, endpoints unknown.
    public init(id: ServiceID, labels: Labels = [:], requestedAddresses: [IPAddress] = [], requestedPool: String? = nil,
                sharingKey: String? = nil, ports: [ServicePort] = [], ipFamilyPolicy: IPFamilyPolicy = .singleStack,
                ipFamilies: [IPFamily] = [.ipv4], trafficPolicy: TrafficPolicy = .cluster, backendKey: String = "",
                endpoints: Endpoints = .unknown) {
        self.id = id
        self.labels = labels
        self.requestedAddresses = requestedAddresses
        self.requestedPool = requestedPool
        self.sharingKey = sharingKey
        self.ports = ports
        self.ipFamilyPolicy = ipFamilyPolicy
        self.ipFamilies = ipFamilies
        self.trafficPolicy = trafficPolicy
        self.backendKey = backendKey
        self.endpoints = endpoints
    }

    /// The key services must share to use one address: empty under `Cluster`, the backend under `Local`.
    public var sharingBackend: String { trafficPolicy == .local ? backendKey : "" }

    /// The families to allocate, in order: one for single stack, both (primary first) for dual stack.
    public var wantedFamilies: [IPFamily] {
        let primary = ipFamilies.first ?? requestedAddresses.first?.family ?? .ipv4
        switch ipFamilyPolicy {
        case .singleStack: return [primary]
        case .preferDualStack, .requireDualStack: return [primary, primary == .ipv4 ? .ipv6 : .ipv4]
        }
    }
}
