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
        for object in inputs.services {
            let mapping: ServiceMapping
            do {
                mapping = try mapper.map(object, endpoints: endpoints.endpoints(of: object.id))
            } catch {
                problems.append(error)
                continue
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
