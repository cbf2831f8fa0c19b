// What the Kubernetes source's informers hold, resource by resource, and the collection paths it watches.
import LBKernel

/// The collections the Kubernetes source watches, for one namespace of configuration.
struct KubeWatchedPaths: Sendable {
    /// Services, all namespaces.
    static let services = "/api/v1/services"
    /// EndpointSlices, all namespaces.
    static let endpointSlices = "/apis/discovery.k8s.io/v1/endpointslices"
    /// Nodes.
    static let nodes = "/api/v1/nodes"
    /// Namespaces (their labels, for pools' namespace selectors).
    static let namespaces = "/api/v1/namespaces"

    /// The `metallb.io` resources (group/version/plural), read only in lbd's namespace as MetalLB does.
    static let metallbResources = [
        "v1beta1/ipaddresspools", "v1beta1/l2advertisements", "v1beta1/bgpadvertisements", "v1beta2/bgppeers",
        "v1beta1/communities", "v1beta1/bfdprofiles",
    ]

    /// The namespace of the configuration.
    var namespace: String
    /// The legacy ConfigMap's name, or nil.
    var legacyConfigMap: String?

    /// The paths of the `metallb.io` collections in the namespace.
    var metallb: [String] {
        Self.metallbResources.map { resource in
            let parts = resource.split(separator: "/")
            return "/apis/metallb.io/\(parts[0])/namespaces/\(namespace)/\(parts[1])"
        }
    }

    /// The Secrets of the namespace (BGP passwords).
    var secrets: String { "/api/v1/namespaces/\(namespace)/secrets" }

    /// The legacy ConfigMap, selected by name, or nil.
    var legacy: String? {
        legacyConfigMap.map { "/api/v1/namespaces/\(namespace)/configmaps?fieldSelector=metadata.name%3D\($0)" }
    }
}

/// The current objects of every watched collection; a collection is nil until its first complete list.
struct KubeWatchedObjects: Sendable {
    var services: [String: KubeService]?
    var endpointSlices: [String: KubeEndpointSlice]?
    var nodes: [String: KubeNode]?
    var namespaces: [String: KubeNamespace]?
    var secrets: [String: KubeSecret]?
    /// The `metallb.io` collections, by path.
    var metallb: [String: [String: RawObject]] = [:]
    /// The legacy ConfigMap's collection (nil until listed; stays empty when none is configured).
    var legacy: [String: RawObject]?

    /// Creates the empty state for `paths`.
    init(paths: KubeWatchedPaths) {
        if paths.legacy == nil { legacy = [:] }
    }

    /// True once every collection has been listed once.
    func synced(paths: KubeWatchedPaths) -> Bool { unlisted(paths: paths).isEmpty }

    /// The paths of the collections not listed yet.
    func unlisted(paths: KubeWatchedPaths) -> [String] {
        var missing: [String] = []
        if services == nil { missing.append(KubeWatchedPaths.services) }
        if endpointSlices == nil { missing.append(KubeWatchedPaths.endpointSlices) }
        if nodes == nil { missing.append(KubeWatchedPaths.nodes) }
        if namespaces == nil { missing.append(KubeWatchedPaths.namespaces) }
        if secrets == nil { missing.append(paths.secrets) }
        if legacy == nil, let legacy = paths.legacy { missing.append(legacy) }
        return missing + paths.metallb.filter { metallb[$0] == nil }
    }

    /// The snapshot builder's inputs, in a stable order.
    func inputs(paths: KubeWatchedPaths) -> SnapshotInputs {
        func sorted<O>(_ objects: [String: O]?) -> [O] {
            (objects ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        }
        let resources = paths.metallb.flatMap { sorted(metallb[$0]).map(\.json) }
        let configMap = sorted(legacy).first.map(\.json)
        // Services and slices in any order: the builder's output does not depend on it, and sorting 10,000 on every
        // change was an eighth of a burst's CPU.
        return SnapshotInputs(services: Array((services ?? [:]).values),
                              endpointSlices: Array((endpointSlices ?? [:]).values), nodes: sorted(nodes),
                              namespaces: sorted(namespaces),
                              metallb: MetalLBObjects(namespace: paths.namespace, resources: resources,
                                                      legacyConfigMap: configMap, secrets: sorted(secrets)))
    }
}
