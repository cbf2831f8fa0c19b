// The `metallb.io` custom resources as manifests carry them: Kubernetes metadata plus each kind's `spec`, with
// MetalLB's JSON field names. Decoding is strict (unknown keys rejected) except for the server-set metadata
// fields, which are accepted and ignored, and `status`, which is never read. MetalLBResources+Conversion.swift
// maps them to lbd's model.

/// A value of any shape, accepted and ignored (server-set metadata, `status`).
struct IgnoredValue: Decodable {
    init(from decoder: any Decoder) throws {}
}

/// Kubernetes object metadata: lbd reads `name` and `labels`; the rest is accepted and ignored.
struct ObjectMeta: Decodable {
    var name: String?
    var namespace: String?
    var labels: Labels?
    var annotations: [String: String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, namespace, labels, annotations, generateName, uid, resourceVersion, generation
        case creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, selfLink, finalizers
        case ownerReferences, managedFields
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        labels = try c.decodeIfPresent(Labels.self, forKey: .labels)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }
}

/// A Kubernetes label selector as written in a manifest (`matchLabels`, `matchExpressions`).
struct ManifestLabelSelector: Decodable {
    var matchLabels: Labels?
    var matchExpressions: [SelectorRequirement]?

    enum CodingKeys: String, CodingKey, CaseIterable { case matchLabels, matchExpressions }

    /// The selector in lbd's model.
    var model: LabelSelector {
        LabelSelector(matchLabels: matchLabels ?? [:], matchExpressions: (matchExpressions ?? []).map(\.model))
    }
}

extension [ManifestLabelSelector]? {
    /// The selectors in lbd's model; none when absent.
    var model: [LabelSelector] { (self ?? []).map(\.model) }
}

/// `IPAddressPool.spec` (v1beta1).
struct IPAddressPoolSpec: Decodable {
    var addresses: [String]?
    var autoAssign: Bool?
    var avoidBuggyIPs: Bool?
    var serviceAllocation: ServiceAllocationSpec?

    enum CodingKeys: String, CodingKey, CaseIterable { case addresses, autoAssign, avoidBuggyIPs, serviceAllocation }

    /// `IPAddressPool.spec.serviceAllocation`.
    struct ServiceAllocationSpec: Decodable {
        var priority: Int?
        var namespaces: [String]?
        var namespaceSelectors: [ManifestLabelSelector]?
        var serviceSelectors: [ManifestLabelSelector]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case priority, namespaces, namespaceSelectors, serviceSelectors
        }
    }
}

/// `L2Advertisement.spec` (v1beta1).
struct L2AdvertisementSpec: Decodable {
    var ipAddressPools: [String]?
    var ipAddressPoolSelectors: [ManifestLabelSelector]?
    var nodeSelectors: [ManifestLabelSelector]?
    var interfaces: [String]?
    var serviceSelectors: [ManifestLabelSelector]?
    var preferredNodeSelectors: [IgnoredValue]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ipAddressPools, ipAddressPoolSelectors, nodeSelectors, interfaces, serviceSelectors
        case preferredNodeSelectors
    }
}

/// `BGPAdvertisement.spec` (v1beta1).
struct BGPAdvertisementSpec: Decodable {
    var aggregationLength: Int?
    var aggregationLengthV6: Int?
    var localPref: UInt32?
    var communities: [String]?
    var ipAddressPools: [String]?
    var ipAddressPoolSelectors: [ManifestLabelSelector]?
    var nodeSelectors: [ManifestLabelSelector]?
    var peers: [String]?
    var serviceSelectors: [ManifestLabelSelector]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case aggregationLength, aggregationLengthV6, localPref, communities, ipAddressPools, ipAddressPoolSelectors
        case nodeSelectors, peers, serviceSelectors
    }
}

/// `BGPPeer.spec` (v1beta2, the storage version; v1beta1 is a subset, see ``BGPPeerSpecV1Beta1``).
struct BGPPeerSpec: Decodable {
    var myASN: UInt32?
    var peerASN: UInt32?
    var dynamicASN: String?
    var localASN: UInt32?
    var peerAddress: String?
    var interface: String?
    var sourceAddress: String?
    var peerPort: UInt16?
    var holdTime: GoDuration?
    var keepaliveTime: GoDuration?
    var connectTime: GoDuration?
    var routerID: String?
    var nodeSelectors: [ManifestLabelSelector]?
    var password: String?
    var passwordSecret: SecretReference?
    var bfdProfile: String?
    var enableGracefulRestart: Bool?
    var ebgpMultiHop: Bool?
    var vrf: String?
    var disableMP: Bool?
    var dualStackAddressFamily: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case myASN, peerASN, dynamicASN, localASN, peerAddress, interface, sourceAddress, peerPort, holdTime
        case keepaliveTime, connectTime, routerID, nodeSelectors, password, passwordSecret, bfdProfile
        case enableGracefulRestart, ebgpMultiHop, vrf, disableMP, dualStackAddressFamily
    }
}

/// `BGPPeer.spec` of the deprecated v1beta1: no dynamicASN, localASN, interface, connectTime, passwordSecret,
/// graceful restart, VRF or dual-stack settings.
struct BGPPeerSpecV1Beta1: Decodable {
    var myASN: UInt32?
    var peerASN: UInt32?
    var peerAddress: String?
    var sourceAddress: String?
    var peerPort: UInt16?
    var holdTime: GoDuration?
    var keepaliveTime: GoDuration?
    var routerID: String?
    var nodeSelectors: [ManifestLabelSelector]?
    var password: String?
    var bfdProfile: String?
    var ebgpMultiHop: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case myASN, peerASN, peerAddress, sourceAddress, peerPort, holdTime, keepaliveTime, routerID, nodeSelectors
        case password, bfdProfile, ebgpMultiHop
    }

    /// The same settings as a v1beta2 spec.
    var v1beta2: BGPPeerSpec {
        BGPPeerSpec(myASN: myASN, peerASN: peerASN, peerAddress: peerAddress, sourceAddress: sourceAddress,
                    peerPort: peerPort, holdTime: holdTime, keepaliveTime: keepaliveTime, routerID: routerID,
                    nodeSelectors: nodeSelectors, password: password, bfdProfile: bfdProfile,
                    ebgpMultiHop: ebgpMultiHop)
    }
}

extension BGPPeerSpec {
    init(myASN: UInt32?, peerASN: UInt32?, peerAddress: String?, sourceAddress: String?, peerPort: UInt16?,
         holdTime: GoDuration?, keepaliveTime: GoDuration?, routerID: String?,
         nodeSelectors: [ManifestLabelSelector]?, password: String?, bfdProfile: String?, ebgpMultiHop: Bool?) {
        self.myASN = myASN
        self.peerASN = peerASN
        self.peerAddress = peerAddress
        self.sourceAddress = sourceAddress
        self.peerPort = peerPort
        self.holdTime = holdTime
        self.keepaliveTime = keepaliveTime
        self.routerID = routerID
        self.nodeSelectors = nodeSelectors
        self.password = password
        self.bfdProfile = bfdProfile
        self.ebgpMultiHop = ebgpMultiHop
    }
}

/// `Community.spec` (v1beta1).
struct CommunitySpec: Decodable {
    var communities: [Entry]?

    enum CodingKeys: String, CodingKey, CaseIterable { case communities }

    /// One alias.
    struct Entry: Decodable {
        var name: String
        var value: String

        enum CodingKeys: String, CodingKey, CaseIterable { case name, value }
    }
}

/// `BFDProfile.spec` (v1beta1).
struct BFDProfileSpec: Decodable {
    var receiveInterval: UInt32?
    var transmitInterval: UInt32?
    var detectMultiplier: UInt32?
    var echoInterval: UInt32?
    var echoMode: Bool?
    var passiveMode: Bool?
    var minimumTtl: UInt32?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case receiveInterval, transmitInterval, detectMultiplier, echoInterval, echoMode, passiveMode, minimumTtl
    }
}
