// Everything the informers hold → one `SourceSnapshot` for the kernel, plus what could not be used and why.
public import LBKernel

/// The objects one snapshot is built from: what the informers hold at one moment.
public struct SnapshotInputs: Sendable {
    /// Every Service.
    public var services: [KubeService]
    /// Every EndpointSlice.
    public var endpointSlices: [KubeEndpointSlice]
    /// Every Node.
    public var nodes: [KubeNode]
    /// Every Namespace.
    public var namespaces: [KubeNamespace]
    /// The MetalLB configuration objects and Secrets.
    public var metallb: MetalLBObjects

    /// Creates the inputs.
    public init(services: [KubeService] = [], endpointSlices: [KubeEndpointSlice] = [], nodes: [KubeNode] = [],
                namespaces: [KubeNamespace] = [], metallb: MetalLBObjects) {
        self.services = services
        self.endpointSlices = endpointSlices
        self.nodes = nodes
        self.namespaces = namespaces
        self.metallb = metallb
    }
}

/// One built snapshot and what went with it.
public struct SnapshotBuild: Sendable {
    /// The snapshot to publish, or nil when there is no valid policy yet (never publish an empty policy on an
    /// invalid configuration: the kernel would clear every address).
    public var snapshot: SourceSnapshot?
    /// The services lbd is responsible for (handled and rejected, and those no longer LoadBalancers that still
    /// show an address or the pool annotation), by id, for writing back.
    public var services: [ServiceID: ServiceMapping]
    /// The objects skipped, and why.
    public var problems: [KubeObjectProblem]
    /// The MetalLB configuration's problems, when it is invalid; the snapshot then carries the previous policy.
    public var policyError: ConfigError?
}

/// Builds the kernel's snapshot from Kubernetes objects. Pure.
public struct SnapshotBuilder: Sendable {
    /// The service mapper (class filter).
    public var mapper: ServiceMapper
    /// Whether nodes labelled `node.kubernetes.io/exclude-from-external-load-balancers` still announce (MetalLB's
    /// `--ignore-exclude-lb`): the label is then left out of the nodes' labels.
    public var ignoreExcludeLabel: Bool

    /// Creates a builder.
    public init(classFilter: LoadBalancerClassFilter = .unset, ignoreExcludeLabel: Bool = false) {
        mapper = ServiceMapper(classFilter: classFilter)
        self.ignoreExcludeLabel = ignoreExcludeLabel
    }

    /// Builds the snapshot: services sorted by id, nodes sorted by name, the MetalLB policy with the namespaces'
    /// labels, and the addresses already in Service status as `recorded`.
    ///
    /// - Parameter previousPolicy: the last valid policy, used (with fresh namespace labels) while the
    ///   configuration is invalid, as MetalLB keeps its last good configuration.
    public func build(_ inputs: SnapshotInputs, previousPolicy: Policy? = nil) -> SnapshotBuild {
        var cache = MappingCache()
        return build(inputs, previousPolicy: previousPolicy, cache: &cache)
    }

    /// Builds the snapshot as ``build(_:previousPolicy:)`` does, mapping again only the Services whose
    /// resourceVersion or ready endpoints changed since the build that filled `cache`.
    public func build(_ inputs: SnapshotInputs, previousPolicy: Policy?, cache: inout MappingCache) -> SnapshotBuild {
        var problems: [KubeObjectProblem] = []
        var policyError: ConfigError?
        var policy: Policy?
        do {
            policy = try inputs.metallb.policy()
        } catch {
            policyError = error
            problems += error.problems.map(KubeObjectProblem.init)
            policy = previousPolicy
        }
        policy?.namespaceLabels = KubeNamespace.labels(inputs.namespaces)

        let endpoints = EndpointIndex(inputs.endpointSlices)
        var services: [Service] = []
        var recorded: [ServiceID: [IPAddress]] = [:]
        var mappings: [ServiceID: ServiceMapping] = [:]
        var reused = MappingCache()
        reused.entries.reserveCapacity(inputs.services.count)
        for object in inputs.services {
            let mapping: ServiceMapping
            let serving = endpoints.endpoints(of: object.id)
            if let version = object.metadata.resourceVersion, let hit = cache.entries[object.id],
               hit.resourceVersion == version, hit.endpoints == serving {
                mapping = hit.mapping
            } else {
                do {
                    mapping = try mapper.map(object, endpoints: serving)
                } catch {
                    problems.append(error)
                    continue
                }
            }
            if let version = object.metadata.resourceVersion {
                reused.entries[object.id] = MappingCache.Entry(resourceVersion: version, endpoints: serving,
                                                               mapping: mapping)
            }
            switch mapping {
            case .ignored(let reason):
                // No longer a LoadBalancer but still showing what was written for it: kept for writing back, so
                // the status and the pool annotation are cleared (MetalLB's controller does the same).
                let ingress = object.status.loadBalancer?.ingress ?? []
                let annotated = object.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool] != nil
                guard reason == .notLoadBalancer, !ingress.isEmpty || annotated else { continue }
            case .handled(let mapped):
                services.append(mapped.service)
                if !mapped.recorded.isEmpty { recorded[object.id] = mapped.recorded }
            case .rejected: break
            }
            mappings[object.id] = mapping
        }
        cache = reused
        services.sort { $0.id < $1.id }
        var nodes = inputs.nodes.map(\.node).sorted()
        if ignoreExcludeLabel {
            for index in nodes.indices { nodes[index].labels[Node.excludeLabel] = nil }
        }
        let snapshot = policy.map {
            SourceSnapshot(services: services, policy: $0, nodes: nodes, recorded: recorded)
        }
        return SnapshotBuild(snapshot: snapshot, services: mappings, problems: problems, policyError: policyError)
    }
}

/// The mappings of the last build, by Service, reused while a Service's resourceVersion and ready endpoints stay
/// the same: a change to one of 10,000 Services maps one again, not all of them.
public struct MappingCache: Sendable {
    struct Entry: Sendable {
        var resourceVersion: String
        var endpoints: Endpoints
        var mapping: ServiceMapping
    }

    var entries: [ServiceID: Entry] = [:]

    /// An empty cache.
    public init() {}

    /// How many mappings are held.
    public var count: Int { entries.count }
}
