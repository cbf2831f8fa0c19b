public import LBKernel

/// An OPEN message (RFC 4271 §4.2) with its capabilities (RFC 5492).
public struct OpenMessage: Hashable, Sendable {
    /// The protocol version; always 4.
    public var version: UInt8
    /// The sender's AS number. On the wire the 2-octet field carries AS_TRANS (23456) when it does not fit, and the
    /// real value travels in the 4-octet AS capability (RFC 6793 §4.1); decoding puts the real value here.
    public var myAS: UInt32
    /// The proposed hold time in seconds: 0, or at least 3 (RFC 4271 §4.2).
    public var holdTime: UInt16
    /// The BGP identifier (router ID).
    public var bgpIdentifier: IPv4Address
    /// The capabilities, in the order they are sent.
    public var capabilities: [Capability]

    /// Creates an OPEN.
    public init(version: UInt8 = 4, myAS: UInt32, holdTime: UInt16, bgpIdentifier: IPv4Address,
                capabilities: [Capability]) {
        self.version = version
        self.myAS = myAS
        self.holdTime = holdTime
        self.bgpIdentifier = bgpIdentifier
        self.capabilities = capabilities
    }

    /// AS_TRANS, the 2-octet stand-in for a 4-octet AS (RFC 6793 §9).
    public static let asTrans: UInt16 = 23456
}

/// A capability advertised in OPEN (RFC 5492 §4).
public enum Capability: Hashable, Sendable {
    /// Multiprotocol extensions for one family (code 1, RFC 4760 §8).
    case multiprotocol(AddressFamily)
    /// Route refresh (code 2, RFC 2918 §2).
    case routeRefresh
    /// Extended messages up to 65535 octets (code 6, RFC 8654 §3).
    case extendedMessage
    /// Graceful restart (code 64, RFC 4724 §3).
    case gracefulRestart(GracefulRestartCapability)
    /// 4-octet AS numbers, carrying the sender's real AS (code 65, RFC 6793 §3).
    case fourOctetAS(UInt32)
    /// A capability lbd does not interpret, kept as it came.
    case unknown(code: UInt8, value: [UInt8])

    /// The capability code (IANA registry).
    public var code: UInt8 {
        switch self {
        case .multiprotocol: 1
        case .routeRefresh: 2
        case .extendedMessage: 6
        case .gracefulRestart: 64
        case .fourOctetAS: 65
        case .unknown(let code, _): code
        }
    }
}

/// The graceful restart capability's value (RFC 4724 §3).
public struct GracefulRestartCapability: Hashable, Sendable {
    /// The Restart State bit (R): the sender has restarted and its routes are being re-announced.
    public var restarting: Bool
    /// The Notification bit (N, RFC 8538 §2): graceful restart also applies after a NOTIFICATION.
    public var notification: Bool
    /// How long the peer should keep our routes after the session drops, in seconds (12 bits, at most 4095).
    public var restartTime: UInt16
    /// The families whose forwarding state is preserved across a restart, with the Forwarding State bit each.
    public var families: [Family]

    /// One family entry of the capability.
    public struct Family: Hashable, Sendable {
        /// The family.
        public var family: AddressFamily
        /// The F bit: forwarding state was preserved across the restart.
        public var forwardingPreserved: Bool

        /// Creates an entry.
        public init(family: AddressFamily, forwardingPreserved: Bool) {
            self.family = family
            self.forwardingPreserved = forwardingPreserved
        }
    }

    /// Creates the capability.
    public init(restarting: Bool, notification: Bool = false, restartTime: UInt16, families: [Family]) {
        self.restarting = restarting
        self.notification = notification
        self.restartTime = restartTime
        self.families = families
    }
}
