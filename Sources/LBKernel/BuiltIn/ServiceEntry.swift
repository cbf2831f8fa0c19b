/// A service as written in one of lbd's own files (the `services:` list of an ``LBDDocument``).
///
/// Only `name` is required. The entry becomes a ``Service`` through ``service(at:)``, which checks what the YAML
/// types alone cannot (names, the number of families, ports given twice).
public struct ServiceEntry: Hashable, Sendable {
    /// The service's name, unique within its namespace.
    public var name: String
    /// The namespace (default `default`).
    public var namespace: String
    /// Explicitly requested addresses, at most one per family.
    public var addresses: [IPAddress]
    /// The pool the service asks for, or nil.
    public var pool: String?
    /// The sharing key: services with the same key may share an address.
    public var sharingKey: String?
    /// The ports, as `TCP/80`, `UDP/53` or a bare number (TCP).
    public var ports: [ServicePort]
    /// How many address families the service wants, or nil for the default.
    public var ipFamilyPolicy: IPFamilyPolicy?
    /// The families in preference order, or nil for the default.
    public var ipFamilies: [IPFamily]?
    /// Which nodes may attract the service's traffic (default `Cluster`).
    public var trafficPolicy: TrafficPolicy
    /// The service's labels, matched by pools' and advertisements' `serviceSelectors`.
    public var labels: Labels
    /// The backend identity that services under traffic policy `Local` must share to share an address.
    public var backendKey: String
    /// The nodes with a ready endpoint, or nil when endpoints are not tracked (every node may serve).
    public var endpointNodes: [String]?

    /// Creates an entry; everything but the name has its default.
    public init(name: String, namespace: String = "default", addresses: [IPAddress] = [], pool: String? = nil,
                sharingKey: String? = nil, ports: [ServicePort] = [], ipFamilyPolicy: IPFamilyPolicy? = nil,
                ipFamilies: [IPFamily]? = nil, trafficPolicy: TrafficPolicy = .cluster, labels: Labels = [:],
                backendKey: String = "", endpointNodes: [String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.addresses = addresses
        self.pool = pool
        self.sharingKey = sharingKey
        self.ports = ports
        self.ipFamilyPolicy = ipFamilyPolicy
        self.ipFamilies = ipFamilies
        self.trafficPolicy = trafficPolicy
        self.labels = labels
        self.backendKey = backendKey
        self.endpointNodes = endpointNodes
    }

    /// The service's id, `namespace/name`.
    public var id: ServiceID { ServiceID(namespace: namespace, name: name) }

    /// The families the service uses: `ipFamilies` when given, else those of the requested addresses, else IPv4.
    public var effectiveFamilies: [IPFamily] {
        if let ipFamilies, !ipFamilies.isEmpty { return ipFamilies }
        var families: [IPFamily] = []
        for address in addresses where !families.contains(address.family) { families.append(address.family) }
        return families.isEmpty ? [.ipv4] : families
    }

    /// The family policy: `ipFamilyPolicy` when given, else `RequireDualStack` when two families are asked for
    /// (by `ipFamilies` or the addresses), else `SingleStack`.
    public var effectiveFamilyPolicy: IPFamilyPolicy {
        if let ipFamilyPolicy { return ipFamilyPolicy }
        return effectiveFamilies.count > 1 ? .requireDualStack : .singleStack
    }

    /// The problems with this entry that decoding cannot see.
    ///
    /// - Parameters:
    ///   - node: the entry as written, to locate each problem at its key; nil when there is no file.
    ///   - field: the entry's field path, such as `services[2]`.
    public func problems(node: YAMLNode?, field: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let object = "service \"\(id)\""
        func add(_ code: ConfigProblem.Code, _ subfield: String, _ message: String) {
            let location = node?.entry(subfield)?.value.location ?? node?.location
            problems.append(ConfigProblem(code, message, object: object, field: "\(field).\(subfield)",
                                          location: location))
        }
        for (key, value) in [("name", name), ("namespace", namespace)] {
            if value.isEmpty {
                add(.invalidValue, key, "must not be empty")
            } else if value.contains("/") || value.contains(where: \.isWhitespace) {
                add(.invalidValue, key, "'\(value)' must not contain '/' or white space")
            }
        }
        if addresses.count > 2 {
            add(.invalidValue, "addresses", "at most two addresses (one IPv4, one IPv6) may be requested")
        }
        let addressFamilies = addresses.map(\.family)
        if addressFamilies.count == 2 && addressFamilies[0] == addressFamilies[1] {
            add(.invalidValue, "addresses", "two \(addressFamilies[0]) addresses requested; give at most one per family")
        }
        if let ipFamilies {
            if ipFamilies.isEmpty || ipFamilies.count > 2 || Set(ipFamilies).count != ipFamilies.count {
                add(.invalidValue, "ipFamilies", "list IPv4, IPv6 or both, each at most once")
            }
            for family in Set(addressFamilies) where !ipFamilies.contains(family) {
                add(.conflict, "addresses", "an \(family) address is requested but ipFamilies does not list \(family)")
            }
        }
        if ipFamilyPolicy == .singleStack && effectiveFamilies.count > 1 {
            add(.conflict, "ipFamilyPolicy", "SingleStack cannot use two families; use PreferDualStack or RequireDualStack")
        }
        var seenPorts: Set<ServicePort> = []
        for port in ports where !seenPorts.insert(port).inserted {
            add(.duplicate, "ports", "\(port) is listed twice")
        }
        if let endpointNodes {
            var seenNodes: Set<String> = []
            for node in endpointNodes where node.isEmpty || !seenNodes.insert(node).inserted {
                add(node.isEmpty ? .invalidValue : .duplicate, "endpointNodes",
                    node.isEmpty ? "a node name must not be empty" : "node '\(node)' is listed twice")
            }
        }
        return problems
    }

    /// The ``Service`` the kernel works with.
    public var service: Service {
        Service(id: id, labels: labels, requestedAddresses: addresses, requestedPool: pool, sharingKey: sharingKey,
                ports: ports, ipFamilyPolicy: effectiveFamilyPolicy, ipFamilies: effectiveFamilies,
                trafficPolicy: trafficPolicy, backendKey: backendKey,
                endpoints: endpointNodes.map { .onNodes(Set($0)) } ?? .unknown)
    }
}

extension ServiceEntry: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, namespace, addresses, pool, sharingKey, ports, ipFamilyPolicy, ipFamilies, trafficPolicy, labels
        case backendKey, endpointNodes
    }

    /// Decodes an entry; only `name` is required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace) ?? "default"
        addresses = try c.decodeIfPresent([IPAddress].self, forKey: .addresses) ?? []
        pool = try c.decodeIfPresent(String.self, forKey: .pool)
        sharingKey = try c.decodeIfPresent(String.self, forKey: .sharingKey)
        ports = try c.decodeIfPresent([ServicePort].self, forKey: .ports) ?? []
        ipFamilyPolicy = try c.decodeIfPresent(IPFamilyPolicy.self, forKey: .ipFamilyPolicy)
        ipFamilies = try c.decodeIfPresent([IPFamily].self, forKey: .ipFamilies)
        trafficPolicy = try c.decodeIfPresent(TrafficPolicy.self, forKey: .trafficPolicy) ?? .cluster
        labels = try c.decodeIfPresent(Labels.self, forKey: .labels) ?? [:]
        backendKey = try c.decodeIfPresent(String.self, forKey: .backendKey) ?? ""
        endpointNodes = try c.decodeIfPresent([String].self, forKey: .endpointNodes)
    }

    /// Encodes the entry, leaving out what has its default.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if namespace != "default" { try c.encode(namespace, forKey: .namespace) }
        if !addresses.isEmpty { try c.encode(addresses, forKey: .addresses) }
        try c.encodeIfPresent(pool, forKey: .pool)
        try c.encodeIfPresent(sharingKey, forKey: .sharingKey)
        if !ports.isEmpty { try c.encode(ports, forKey: .ports) }
        try c.encodeIfPresent(ipFamilyPolicy, forKey: .ipFamilyPolicy)
        try c.encodeIfPresent(ipFamilies, forKey: .ipFamilies)
        if trafficPolicy != .cluster { try c.encode(trafficPolicy, forKey: .trafficPolicy) }
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        if !backendKey.isEmpty { try c.encode(backendKey, forKey: .backendKey) }
        try c.encodeIfPresent(endpointNodes, forKey: .endpointNodes)
    }
}
