// MetalLB's legacy configuration (≤ v0.12): the YAML text held in the `config` key of the `config` ConfigMap.
// Keys are kebab-case and strict, as MetalLB's `yaml.UnmarshalStrict` read them. These types only decode the
// text; LegacyConfig+Conversion.swift turns them into lbd's model.

/// The top-level keys of a legacy MetalLB config.
enum LegacyConfig {
    /// The sections a legacy config may have.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case peers, bgpCommunities = "bgp-communities", addressPools = "address-pools", bfdProfiles = "bfd-profiles"
    }

    /// One entry of `peers`.
    struct Peer: Decodable {
        var myASN: UInt32
        var peerASN: UInt32
        var peerAddress: IPAddress
        var sourceAddress: IPAddress?
        var peerPort: UInt16?
        var holdTime: GoDuration?
        var keepaliveTime: GoDuration?
        var routerID: String?
        var password: String?
        var bfdProfile: String?
        var ebgpMultiHop: Bool?
        var nodeSelectors: [Selector]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case myASN = "my-asn", peerASN = "peer-asn", peerAddress = "peer-address", sourceAddress = "source-address"
            case peerPort = "peer-port", holdTime = "hold-time", keepaliveTime = "keepalive-time"
            case routerID = "router-id", password, bfdProfile = "bfd-profile", ebgpMultiHop = "ebgp-multihop"
            case nodeSelectors = "node-selectors"
        }
    }

    /// One entry of a peer's `node-selectors`.
    struct Selector: Decodable {
        var matchLabels: Labels?
        var matchExpressions: [SelectorRequirement]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case matchLabels = "match-labels", matchExpressions = "match-expressions"
        }

        /// The selector in lbd's model.
        var model: LabelSelector {
            LabelSelector(matchLabels: matchLabels ?? [:], matchExpressions: (matchExpressions ?? []).map(\.model))
        }
    }

    /// One entry of `address-pools`.
    struct Pool: Decodable {
        var name: String
        var `protocol`: String?
        var addresses: [String]?
        var avoidBuggyIPs: Bool?
        var autoAssign: Bool?
        var bgpAdvertisements: [BGPAdvertisement]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, `protocol`, addresses, avoidBuggyIPs = "avoid-buggy-ips", autoAssign = "auto-assign"
            case bgpAdvertisements = "bgp-advertisements"
        }
    }

    /// One entry of a pool's `bgp-advertisements`.
    struct BGPAdvertisement: Decodable {
        var aggregationLength: Int?
        var aggregationLengthV6: Int?
        var localPref: UInt32?
        var communities: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case aggregationLength = "aggregation-length", aggregationLengthV6 = "aggregation-length-v6"
            case localPref = "localpref", communities
        }
    }

    /// One entry of `bfd-profiles`.
    struct BFDProfile: Decodable {
        var name: String
        var receiveInterval: UInt32?
        var transmitInterval: UInt32?
        var detectMultiplier: UInt32?
        var echoInterval: UInt32?
        var echoMode: Bool?
        var passiveMode: Bool?
        var minimumTtl: UInt32?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, receiveInterval = "receive-interval", transmitInterval = "transmit-interval"
            case detectMultiplier = "detect-multiplier", echoInterval = "echo-interval", echoMode = "echo-mode"
            case passiveMode = "passive-mode", minimumTtl = "minimum-ttl"
        }
    }

    /// The legacy spelling of lbd's model field names, for pointing validation problems at the text.
    static let legacyKeys: [String: String] = [
        "myASN": "my-asn", "peerASN": "peer-asn", "peerAddress": "peer-address", "sourceAddress": "source-address",
        "peerPort": "peer-port", "holdTime": "hold-time", "keepaliveTime": "keepalive-time", "routerID": "router-id",
        "bfdProfile": "bfd-profile", "ebgpMultiHop": "ebgp-multihop", "nodeSelectors": "node-selectors",
        "matchLabels": "match-labels", "matchExpressions": "match-expressions", "avoidBuggyIPs": "avoid-buggy-ips",
        "autoAssign": "auto-assign", "aggregationLength": "aggregation-length",
        "aggregationLengthV6": "aggregation-length-v6", "localPref": "localpref", "receiveInterval": "receive-interval",
        "transmitInterval": "transmit-interval", "detectMultiplier": "detect-multiplier",
        "echoInterval": "echo-interval", "echoMode": "echo-mode", "passiveMode": "passive-mode",
        "minimumTtl": "minimum-ttl",
    ]
}

/// One requirement of a label selector (`key`, `operator`, `values`), spelled alike in the legacy config and CRDs.
struct SelectorRequirement: Decodable {
    var key: String
    var `operator`: LabelSelector.Operator
    var values: [String]

    enum CodingKeys: String, CodingKey, CaseIterable { case key, `operator`, values }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        let text = try c.decode(String.self, forKey: .operator)
        guard let op = LabelSelector.Operator(rawValue: text) else {
            let names = LabelSelector.Operator.allCases.map(\.rawValue).joined(separator: ", ")
            let hint = LabelSelector.Operator.allCases.first { $0.rawValue.lowercased() == text.lowercased() }
                .map { " (operators are case-sensitive: write \($0.rawValue))" } ?? ""
            throw DecodingError.dataCorruptedError(
                forKey: .operator, in: c, debugDescription: "unknown operator '\(text)'\(hint); use one of \(names)")
        }
        `operator` = op
        values = try c.decodeIfPresent([String].self, forKey: .values) ?? []
    }

    /// The requirement in lbd's model.
    var model: LabelSelector.Requirement { LabelSelector.Requirement(key: key, operator: `operator`, values: values) }
}
