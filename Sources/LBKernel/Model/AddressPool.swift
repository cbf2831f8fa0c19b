/// A pool of service addresses (MetalLB's `IPAddressPool`).
public struct AddressPool: Hashable, Sendable {
    /// The pool's unique name.
    public var name: String
    /// The CIDRs and ranges the pool hands out, in the order they are tried.
    public var addresses: [AddressBlock]
    /// When false, the pool is used only when a service asks for it by name or by address. Default true.
    public var autoAssign: Bool
    /// When true, IPv4 addresses ending in `.0` or `.255` are never handed out. Default false.
    public var avoidBuggyIPs: Bool
    /// Restricts and prioritises the pool for some services (a "pinned" pool), or nil.
    public var serviceAllocation: ServiceAllocation?
    /// The pool's labels, matched by advertisements' `ipAddressPoolSelectors`.
    public var labels: Labels

    /// Creates a pool.
    public init(name: String, addresses: [AddressBlock], autoAssign: Bool = true, avoidBuggyIPs: Bool = false,
                serviceAllocation: ServiceAllocation? = nil, labels: Labels = [:]) {
        self.name = name
        self.addresses = addresses
        self.autoAssign = autoAssign
        self.avoidBuggyIPs = avoidBuggyIPs
        self.serviceAllocation = serviceAllocation
        self.labels = labels
    }

    /// The families the pool holds addresses of.
    public var families: Set<IPFamily> { Set(addresses.map(\.family)) }

    /// True when `address` lies in one of the pool's entries.
    public func contains(_ address: IPAddress) -> Bool { addresses.contains { $0.range.contains(address) } }

    /// Which services a pool serves first, and in what priority (MetalLB's `serviceAllocation`).
    public struct ServiceAllocation: Hashable, Sendable, Codable {
        /// Lower numbers are tried first; 0 (the default) is tried after every positive number.
        public var priority: Int
        /// Namespaces whose services may use the pool.
        public var namespaces: [String]
        /// Selectors of namespaces (by namespace labels) whose services may use the pool.
        public var namespaceSelectors: [LabelSelector]
        /// Selectors of services (by service labels) that may use the pool.
        public var serviceSelectors: [LabelSelector]

        /// Creates a service allocation.
        public init(priority: Int = 0, namespaces: [String] = [], namespaceSelectors: [LabelSelector] = [],
                    serviceSelectors: [LabelSelector] = []) {
            self.priority = priority
            self.namespaces = namespaces
            self.namespaceSelectors = namespaceSelectors
            self.serviceSelectors = serviceSelectors
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case priority, namespaces, namespaceSelectors, serviceSelectors }

        /// Decodes with every key optional.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            priority = try c.decodeIfPresent(Int.self, forKey: .priority) ?? 0
            namespaces = try c.decodeIfPresent([String].self, forKey: .namespaces) ?? []
            namespaceSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .namespaceSelectors) ?? []
            serviceSelectors = try c.decodeIfPresent([LabelSelector].self, forKey: .serviceSelectors) ?? []
        }

        /// True when a service in `namespace` (whose labels are `namespaceLabels`) with `serviceLabels` may
        /// use the pool: the namespace is listed or selected (when either list is given) and the service is
        /// selected (when selectors are given).
        public func matches(namespace: String, namespaceLabels: Labels, serviceLabels: Labels) -> Bool {
            if !namespaces.isEmpty || !namespaceSelectors.isEmpty {
                let listed = namespaces.contains(namespace)
                let selected = namespaceSelectors.contains { $0.matches(namespaceLabels) }
                if !listed && !selected { return false }
            }
            if !serviceSelectors.isEmpty && !serviceSelectors.contains(where: { $0.matches(serviceLabels) }) {
                return false
            }
            return true
        }
    }
}

extension AddressPool: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, addresses, autoAssign, avoidBuggyIPs, serviceAllocation, labels }

    /// Decodes lbd's schema: `name` and `addresses` are required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        addresses = try c.decode([AddressBlock].self, forKey: .addresses)
        autoAssign = try c.decodeIfPresent(Bool.self, forKey: .autoAssign) ?? true
        avoidBuggyIPs = try c.decodeIfPresent(Bool.self, forKey: .avoidBuggyIPs) ?? false
        serviceAllocation = try c.decodeIfPresent(ServiceAllocation.self, forKey: .serviceAllocation)
        labels = try c.decodeIfPresent(Labels.self, forKey: .labels) ?? [:]
    }

    /// Encodes lbd's schema, leaving out defaults.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(addresses, forKey: .addresses)
        if !autoAssign { try c.encode(autoAssign, forKey: .autoAssign) }
        if avoidBuggyIPs { try c.encode(avoidBuggyIPs, forKey: .avoidBuggyIPs) }
        try c.encodeIfPresent(serviceAllocation, forKey: .serviceAllocation)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
    }
}
