public import LBKernel

/// An UPDATE message (RFC 4271 §4.3): withdrawn IPv4 routes, path attributes and IPv4 NLRI; other families travel in
/// the MP_REACH_NLRI / MP_UNREACH_NLRI attributes (RFC 4760 §3, §4).
public struct UpdateMessage: Hashable, Sendable {
    /// IPv4 prefixes withdrawn in the classic field.
    public var withdrawn: [IPPrefix]
    /// The path attributes.
    public var attributes: PathAttributes
    /// IPv4 prefixes announced in the classic NLRI field.
    public var nlri: [IPPrefix]

    /// Creates an UPDATE.
    public init(withdrawn: [IPPrefix] = [], attributes: PathAttributes = PathAttributes(), nlri: [IPPrefix] = []) {
        self.withdrawn = withdrawn
        self.attributes = attributes
        self.nlri = nlri
    }

    /// The End-of-RIB marker for `family` (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an UPDATE whose only
    /// attribute is an empty MP_UNREACH_NLRI otherwise.
    public static func endOfRIB(_ family: AddressFamily) -> UpdateMessage {
        if family == .ipv4Unicast { return UpdateMessage() }
        var attributes = PathAttributes()
        attributes.mpUnreach = MPUnreachNLRI(family: family, withdrawn: [])
        return UpdateMessage(attributes: attributes)
    }

    /// The family this UPDATE marks the end of, when it is an End-of-RIB marker (RFC 4724 §2); nil otherwise.
    public var endOfRIBFamily: AddressFamily? {
        guard withdrawn.isEmpty, nlri.isEmpty else { return nil }
        if attributes == PathAttributes() { return .ipv4Unicast }
        var onlyUnreach = PathAttributes()
        onlyUnreach.mpUnreach = attributes.mpUnreach
        if let unreach = attributes.mpUnreach, unreach.withdrawn.isEmpty, attributes == onlyUnreach {
            return unreach.family
        }
        return nil
    }
}

/// The path attributes of an UPDATE (RFC 4271 §5), the ones lbd sends or must recognise, plus any others kept raw.
public struct PathAttributes: Hashable, Sendable {
    /// ORIGIN (type 1).
    public var origin: Origin?
    /// AS_PATH (type 2), with 4-octet ASNs; the codec writes AS4_PATH (type 17) for an old speaker (RFC 6793 §4.2.2).
    public var asPath: [ASPathSegment]?
    /// NEXT_HOP (type 3), for IPv4 NLRI in the classic field.
    public var nextHop: IPv4Address?
    /// MULTI_EXIT_DISC (type 4).
    public var multiExitDisc: UInt32?
    /// LOCAL_PREF (type 5); sent to iBGP peers only (RFC 4271 §5.1.5).
    public var localPref: UInt32?
    /// COMMUNITIES (type 8, RFC 1997), as 32-bit values.
    public var communities: [UInt32]
    /// LARGE_COMMUNITY (type 32, RFC 8092).
    public var largeCommunities: [LargeCommunity]
    /// MP_REACH_NLRI (type 14, RFC 4760 §3).
    public var mpReach: MPReachNLRI?
    /// MP_UNREACH_NLRI (type 15, RFC 4760 §4).
    public var mpUnreach: MPUnreachNLRI?
    /// Attributes lbd does not interpret, kept with their flags; decoded in type order, and encoded in type order
    /// among the others.
    public var other: [RawPathAttribute]

    /// Creates attributes.
    public init(origin: Origin? = nil, asPath: [ASPathSegment]? = nil, nextHop: IPv4Address? = nil,
                multiExitDisc: UInt32? = nil, localPref: UInt32? = nil, communities: [UInt32] = [],
                largeCommunities: [LargeCommunity] = [], mpReach: MPReachNLRI? = nil, mpUnreach: MPUnreachNLRI? = nil,
                other: [RawPathAttribute] = []) {
        self.origin = origin
        self.asPath = asPath
        self.nextHop = nextHop
        self.multiExitDisc = multiExitDisc
        self.localPref = localPref
        self.communities = communities
        self.largeCommunities = largeCommunities
        self.mpReach = mpReach
        self.mpUnreach = mpUnreach
        self.other = other
    }

    /// ORIGIN values (RFC 4271 §5.1.1).
    public enum Origin: UInt8, Hashable, Sendable {
        /// Learned from an interior protocol.
        case igp = 0
        /// Learned from EGP.
        case egp = 1
        /// Learned some other way.
        case incomplete = 2
    }

    /// Path attribute type codes (IANA registry).
    public enum TypeCode: UInt8, Hashable, Sendable {
        /// ORIGIN.
        case origin = 1
        /// AS_PATH.
        case asPath = 2
        /// NEXT_HOP.
        case nextHop = 3
        /// MULTI_EXIT_DISC.
        case multiExitDisc = 4
        /// LOCAL_PREF.
        case localPref = 5
        /// ATOMIC_AGGREGATE.
        case atomicAggregate = 6
        /// AGGREGATOR.
        case aggregator = 7
        /// COMMUNITIES.
        case communities = 8
        /// MP_REACH_NLRI.
        case mpReachNLRI = 14
        /// MP_UNREACH_NLRI.
        case mpUnreachNLRI = 15
        /// AS4_PATH.
        case as4Path = 17
        /// AS4_AGGREGATOR.
        case as4Aggregator = 18
        /// LARGE_COMMUNITY.
        case largeCommunity = 32
    }
}

/// One AS_PATH segment (RFC 4271 §4.3).
public struct ASPathSegment: Hashable, Sendable {
    /// The segment type.
    public var kind: Kind
    /// The AS numbers, 4-octet.
    public var asns: [UInt32]

    /// Segment types (RFC 4271 §4.3, RFC 5065 §3).
    public enum Kind: UInt8, Hashable, Sendable {
        /// An unordered set.
        case set = 1
        /// An ordered sequence.
        case sequence = 2
        /// An ordered sequence of member ASes inside a confederation (RFC 5065); lbd only decodes it.
        case confedSequence = 3
        /// An unordered set of member ASes inside a confederation (RFC 5065); lbd only decodes it.
        case confedSet = 4
    }

    /// Creates a segment.
    public init(kind: Kind, asns: [UInt32]) {
        self.kind = kind
        self.asns = asns
    }
}

/// A large community (RFC 8092 §3): three 32-bit values.
public struct LargeCommunity: Hashable, Sendable, Comparable {
    /// The global administrator (an ASN).
    public var globalAdministrator: UInt32
    /// The first local data part.
    public var localData1: UInt32
    /// The second local data part.
    public var localData2: UInt32

    /// Creates a large community.
    public init(_ globalAdministrator: UInt32, _ localData1: UInt32, _ localData2: UInt32) {
        self.globalAdministrator = globalAdministrator
        self.localData1 = localData1
        self.localData2 = localData2
    }

    /// Orders by the three parts.
    public static func < (lhs: LargeCommunity, rhs: LargeCommunity) -> Bool {
        (lhs.globalAdministrator, lhs.localData1, lhs.localData2)
            < (rhs.globalAdministrator, rhs.localData1, rhs.localData2)
    }
}

/// MP_REACH_NLRI (RFC 4760 §3).
public struct MPReachNLRI: Hashable, Sendable {
    /// The family of the next hop and the NLRI.
    public var family: AddressFamily
    /// The next hop: one address, or for IPv6 a global address followed by a link-local one (RFC 2545 §3).
    public var nextHops: [IPAddress]
    /// The announced prefixes.
    public var nlri: [IPPrefix]

    /// Creates the attribute.
    public init(family: AddressFamily, nextHops: [IPAddress], nlri: [IPPrefix]) {
        self.family = family
        self.nextHops = nextHops
        self.nlri = nlri
    }
}

/// MP_UNREACH_NLRI (RFC 4760 §4).
public struct MPUnreachNLRI: Hashable, Sendable {
    /// The family of the withdrawn prefixes.
    public var family: AddressFamily
    /// The withdrawn prefixes; empty in an End-of-RIB marker.
    public var withdrawn: [IPPrefix]

    /// Creates the attribute.
    public init(family: AddressFamily, withdrawn: [IPPrefix]) {
        self.family = family
        self.withdrawn = withdrawn
    }
}

/// A path attribute kept as it came (RFC 4271 §4.3): flags, type and value.
public struct RawPathAttribute: Hashable, Sendable {
    /// The attribute flags (optional, transitive, partial); the encoder sets the extended length bit itself, when
    /// the value exceeds 255 octets.
    public var flags: UInt8
    /// The type code.
    public var typeCode: UInt8
    /// The value.
    public var value: [UInt8]

    /// Creates the attribute.
    public init(flags: UInt8, typeCode: UInt8, value: [UInt8]) {
        self.flags = flags
        self.typeCode = typeCode
        self.value = value
    }
}
