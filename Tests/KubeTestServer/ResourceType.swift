/// A kind of object the test server serves: its API group, version, plural name and how it is scoped.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// The API group (empty for the core group).
    public var group: String
    /// The API version within the group.
    public var version: String
    /// The plural resource name in URLs (`services`).
    public var plural: String
    /// The singular name (`service`).
    public var singular: String
    /// The object kind (`Service`).
    public var kind: String
    /// True when objects live in namespaces.
    public var namespaced: Bool
    /// True when the resource has a `/status` subresource (then the main resource ignores `status` on writes).
    public var hasStatus: Bool
    /// kubectl's short names (`svc`).
    public var shortNames: [String]

    /// `v1` for the core group, else `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `services` or `ipaddresspools.metallb.io`, as the API server names resources in messages.
    public var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// `group/version/plural`.
    public var description: String { "\(apiVersion)/\(plural)" }

    /// The URL prefix of the group version: `/api/v1` or `/apis/<group>/<version>`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    func details(name: String) -> JSONValue {
        ["name": .string(name), "group": .string(group), "kind": .string(plural)]
    }

    init(_ group: String, _ version: String, _ plural: String, _ kind: String, namespaced: Bool = true,
         hasStatus: Bool = false, shortNames: [String] = []) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = kind.lowercased()
        self.kind = kind
        self.namespaced = namespaced
        self.hasStatus = hasStatus
        self.shortNames = shortNames
    }

    /// Core v1 Services.
    public static let services = ResourceType("", "v1", "services", "Service", hasStatus: true, shortNames: ["svc"])
    /// Core v1 Namespaces.
    public static let namespaces = ResourceType("", "v1", "namespaces", "Namespace", namespaced: false,
                                                hasStatus: true, shortNames: ["ns"])
    /// Core v1 Nodes.
    public static let nodes = ResourceType("", "v1", "nodes", "Node", namespaced: false, hasStatus: true,
                                           shortNames: ["no"])
    /// Core v1 Endpoints.
    public static let endpoints = ResourceType("", "v1", "endpoints", "Endpoints", shortNames: ["ep"])
    /// Core v1 ConfigMaps.
    public static let configMaps = ResourceType("", "v1", "configmaps", "ConfigMap", shortNames: ["cm"])
    /// Core v1 Secrets.
    public static let secrets = ResourceType("", "v1", "secrets", "Secret")
    /// Core v1 Events.
    public static let events = ResourceType("", "v1", "events", "Event", shortNames: ["ev"])
    /// discovery.k8s.io/v1 EndpointSlices.
    public static let endpointSlices = ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice")
    /// coordination.k8s.io/v1 Leases.
    public static let leases = ResourceType("coordination.k8s.io", "v1", "leases", "Lease")
    /// events.k8s.io/v1 Events.
    public static let eventsV1 = ResourceType("events.k8s.io", "v1", "events", "Event", shortNames: ["ev"])
    /// metallb.io/v1beta1 IPAddressPools.
    public static let ipAddressPools = ResourceType("metallb.io", "v1beta1", "ipaddresspools", "IPAddressPool")
    /// metallb.io/v1beta1 L2Advertisements.
    public static let l2Advertisements = ResourceType("metallb.io", "v1beta1", "l2advertisements", "L2Advertisement")
    /// metallb.io/v1beta1 BGPAdvertisements.
    public static let bgpAdvertisements = ResourceType("metallb.io", "v1beta1", "bgpadvertisements",
                                                       "BGPAdvertisement")
    /// metallb.io/v1beta1 Communities.
    public static let communities = ResourceType("metallb.io", "v1beta1", "communities", "Community")
    /// metallb.io/v1beta1 BFDProfiles.
    public static let bfdProfiles = ResourceType("metallb.io", "v1beta1", "bfdprofiles", "BFDProfile")
    /// metallb.io/v1beta2 BGPPeers.
    public static let bgpPeers = ResourceType("metallb.io", "v1beta2", "bgppeers", "BGPPeer")

    /// Every resource the test server serves.
    public static let all: [ResourceType] = [
        .namespaces, .nodes, .services, .endpoints, .configMaps, .secrets, .events, .endpointSlices, .leases,
        .eventsV1, .ipAddressPools, .l2Advertisements, .bgpAdvertisements, .communities, .bfdProfiles, .bgpPeers,
    ]

    /// The resource named by a URL's group, version and plural, or nil.
    static func find(group: String, version: String, plural: String) -> ResourceType? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }
}
