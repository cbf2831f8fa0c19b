/// A BGP router to peer with (MetalLB's `BGPPeer`, v1beta2 fields).
public struct BGPPeer: Hashable, Sendable {
    /// The peer's unique name.
    public var name: String
    /// The AS number lbd speaks as.
    public var myASN: UInt32
    /// The peer's AS number; equal to `myASN` for iBGP. Nil only when `dynamicASN` is set.
    public var peerASN: UInt32?
    /// `internal` or `external`: accept whatever AS the peer has, of that kind.
    public var dynamicASN: DynamicASN?
    /// The AS number to present to the peer instead of `myASN`, or nil.
    public var localASN: UInt32?
    /// The peer's address. Nil only for unnumbered sessions over `interface`.
    public var peerAddress: IPAddress?
    /// The interface of an unnumbered session, or nil.
    public var interface: String?
    /// The local address to connect from, or nil for the kernel's choice.
    public var sourceAddress: IPAddress?
    /// The peer's TCP port (default 179).
    public var peerPort: UInt16
    /// The proposed hold time, or nil for the speaker's default (90 s).
    public var holdTime: GoDuration?
    /// The keepalive interval, or nil for a third of the hold time.
    public var keepaliveTime: GoDuration?
    /// How long a connection attempt may take, or nil for the default.
    public var connectTime: GoDuration?
    /// The BGP identifier, or nil to derive it from the node.
    public var routerID: IPv4Address?
    /// Nodes that open this session; empty means every node.
    public var nodeSelectors: [LabelSelector]
    /// The TCP-MD5 password, or nil.
    public var password: String?
    /// A secret holding the TCP-MD5 password, or nil.
    public var passwordSecret: SecretReference?
    /// The name of a BFD profile to run with this peer, or nil.
    public var bfdProfile: String?
    /// Whether graceful restart (RFC 4724) is offered.
    public var enableGracefulRestart: Bool
    /// Whether an eBGP peer may be more than one hop away.
    public var ebgpMultiHop: Bool
    /// The VRF to bind the session to, or nil.
    public var vrf: String?
    /// Whether both families are advertised over this one session.
    public var dualStackAddressFamily: Bool
    /// Whether lbd waits for the peer to connect instead of connecting itself (lbd's own field; MetalLB has none).
    public var passive: Bool

    /// The two kinds of dynamic peer AS.
    public enum DynamicASN: String, Hashable, Sendable, Codable {
        /// The peer has our AS (iBGP).
        case `internal`
        /// The peer has another AS (eBGP).
        case external
    }

    /// Creates a peer with MetalLB's defaults for everything not given.
    public init(name: String, myASN: UInt32, peerASN: UInt32?, peerAddress: IPAddress?, dynamicASN: DynamicASN? = nil,
                localASN: UInt32? = nil, interface: String? = nil, sourceAddress: IPAddress? = nil,
                peerPort: UInt16 = 179, holdTime: GoDuration? = nil, keepaliveTime: GoDuration? = nil,
                connectTime: GoDuration? = nil, routerID: IPv4Address? = nil, nodeSelectors: [LabelSelector] = [],
                password: String? = nil, passwordSecret: SecretReference? = nil, bfdProfile: String? = nil,
                enableGracefulRestart: Bool = false, ebgpMultiHop: Bool = false, vrf: String? = nil,
                dualStackAddressFamily: Bool = false, passive: Bool = false) {
        self.name = name
        self.myASN = myASN
        self.peerASN = peerASN
        self.dynamicASN = dynamicASN
        self.localASN = localASN
        self.peerAddress = peerAddress
        self.interface = interface
        self.sourceAddress = sourceAddress
        self.peerPort = peerPort
        self.holdTime = holdTime
        self.keepaliveTime = keepaliveTime
        self.connectTime = connectTime
        self.routerID = routerID
        self.nodeSelectors = nodeSelectors
        self.password = password
        self.passwordSecret = passwordSecret
        self.bfdProfile = bfdProfile
        self.enableGracefulRestart = enableGracefulRestart
        self.ebgpMultiHop = ebgpMultiHop
        self.vrf = vrf
        self.dualStackAddressFamily = dualStackAddressFamily
        self.passive = passive
    }

    /// True when the peer is in our own AS.
    public var isIBGP: Bool { dynamicASN == .internal || (peerASN != nil && peerASN == myASN) }
}

/// A reference to a secret holding a value (for example a BGP password).
public struct SecretReference: Hashable, Sendable, Codable {
    /// The secret's name.
    public var name: String
    /// The secret's namespace, or nil for the configuration's own.
    public var namespace: String?

    /// Creates a reference.
    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

extension BGPPeer: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, myASN, peerASN, dynamicASN, localASN, peerAddress, interface, sourceAddress, peerPort, holdTime,
             keepaliveTime, connectTime, routerID, nodeSelectors, password, passwordSecret, bfdProfile,
             enableGracefulRestart, ebgpMultiHop, vrf, dualStackAddressFamily, passive
    }

    /// Decodes lbd's schema: `name` and `myASN` are required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var routerID: IPv4Address?
        if let text = try c.decodeIfPresent(String.self, forKey: .routerID) {
            guard let id = IPv4Address(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .routerID, in: c, debugDescription: "'\(text)' is not an IPv4 address (a router ID is 32 bits)")
            }
            routerID = id
        }
        self.init(
            name: try c.decode(String.self, forKey: .name),
            myASN: try c.decode(UInt32.self, forKey: .myASN),
            peerASN: try c.decodeIfPresent(UInt32.self, forKey: .peerASN),
            peerAddress: try c.decodeIfPresent(IPAddress.self, forKey: .peerAddress),
            dynamicASN: try c.decodeIfPresent(DynamicASN.self, forKey: .dynamicASN),
            localASN: try c.decodeIfPresent(UInt32.self, forKey: .localASN),
            interface: try c.decodeIfPresent(String.self, forKey: .interface),
            sourceAddress: try c.decodeIfPresent(IPAddress.self, forKey: .sourceAddress),
            peerPort: try c.decodeIfPresent(UInt16.self, forKey: .peerPort) ?? 179,
            holdTime: try c.decodeIfPresent(GoDuration.self, forKey: .holdTime),
            keepaliveTime: try c.decodeIfPresent(GoDuration.self, forKey: .keepaliveTime),
            connectTime: try c.decodeIfPresent(GoDuration.self, forKey: .connectTime),
            routerID: routerID,
            nodeSelectors: try c.decodeIfPresent([LabelSelector].self, forKey: .nodeSelectors) ?? [],
            password: try c.decodeIfPresent(String.self, forKey: .password),
            passwordSecret: try c.decodeIfPresent(SecretReference.self, forKey: .passwordSecret),
            bfdProfile: try c.decodeIfPresent(String.self, forKey: .bfdProfile),
            enableGracefulRestart: try c.decodeIfPresent(Bool.self, forKey: .enableGracefulRestart) ?? false,
            ebgpMultiHop: try c.decodeIfPresent(Bool.self, forKey: .ebgpMultiHop) ?? false,
            vrf: try c.decodeIfPresent(String.self, forKey: .vrf),
            dualStackAddressFamily: try c.decodeIfPresent(Bool.self, forKey: .dualStackAddressFamily) ?? false,
            passive: try c.decodeIfPresent(Bool.self, forKey: .passive) ?? false)
    }

    /// Encodes lbd's schema, leaving out defaults.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(myASN, forKey: .myASN)
        try c.encodeIfPresent(peerASN, forKey: .peerASN)
        try c.encodeIfPresent(dynamicASN, forKey: .dynamicASN)
        try c.encodeIfPresent(localASN, forKey: .localASN)
        try c.encodeIfPresent(peerAddress, forKey: .peerAddress)
        try c.encodeIfPresent(interface, forKey: .interface)
        try c.encodeIfPresent(sourceAddress, forKey: .sourceAddress)
        if peerPort != 179 { try c.encode(peerPort, forKey: .peerPort) }
        try c.encodeIfPresent(holdTime, forKey: .holdTime)
        try c.encodeIfPresent(keepaliveTime, forKey: .keepaliveTime)
        try c.encodeIfPresent(connectTime, forKey: .connectTime)
        try c.encodeIfPresent(routerID?.description, forKey: .routerID)
        try c.encodeNonEmpty(nodeSelectors, forKey: .nodeSelectors)
        try c.encodeIfPresent(password, forKey: .password)
        try c.encodeIfPresent(passwordSecret, forKey: .passwordSecret)
        try c.encodeIfPresent(bfdProfile, forKey: .bfdProfile)
        if enableGracefulRestart { try c.encode(true, forKey: .enableGracefulRestart) }
        if ebgpMultiHop { try c.encode(true, forKey: .ebgpMultiHop) }
        try c.encodeIfPresent(vrf, forKey: .vrf)
        if dualStackAddressFamily { try c.encode(true, forKey: .dualStackAddressFamily) }
        if passive { try c.encode(true, forKey: .passive) }
    }
}

/// Bidirectional Forwarding Detection timers for BGP peers (MetalLB's `BFDProfile`, RFC 5880).
public struct BFDProfile: Hashable, Sendable, Codable {
    /// The profile's unique name.
    public var name: String
    /// Minimum interval between received control packets, in milliseconds (10–60000, default 300).
    public var receiveInterval: UInt32?
    /// Minimum interval between sent control packets, in milliseconds (10–60000, default 300).
    public var transmitInterval: UInt32?
    /// Echo interval in milliseconds (10–60000, default 50).
    public var echoInterval: UInt32?
    /// Missed packets before the session is declared down (2–255, default 3).
    public var detectMultiplier: UInt32?
    /// Minimum TTL of incoming packets, multihop only (1–254).
    public var minimumTtl: UInt32?
    /// Whether echo mode is on.
    public var echoMode: Bool?
    /// Whether lbd waits for the peer to start the session.
    public var passiveMode: Bool?

    /// Creates a profile.
    public init(name: String, receiveInterval: UInt32? = nil, transmitInterval: UInt32? = nil,
                echoInterval: UInt32? = nil, detectMultiplier: UInt32? = nil, minimumTtl: UInt32? = nil,
                echoMode: Bool? = nil, passiveMode: Bool? = nil) {
        self.name = name
        self.receiveInterval = receiveInterval
        self.transmitInterval = transmitInterval
        self.echoInterval = echoInterval
        self.detectMultiplier = detectMultiplier
        self.minimumTtl = minimumTtl
        self.echoMode = echoMode
        self.passiveMode = passiveMode
    }
}
