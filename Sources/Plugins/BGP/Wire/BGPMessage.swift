public import LBKernel

// Wire/: the BGP message codec, on NIOCore's ByteBuffer and the kernel's IP types only.
//
// BGPMessage.swift (this file)       the message enum, codec options, address families
// BGPMessage+Codec.swift             decode/encode entry points and the header (RFC 4271 §4.1, §6.1)
// OpenMessage(+Codec).swift          OPEN and capabilities (RFC 4271 §4.2, RFC 5492, RFC 9072)
// UpdateMessage(+Codec).swift        UPDATE framing, the attribute and segment types (RFC 4271 §4.3)
// PathAttributes+Decode/Encode.swift path attributes with RFC 7606 error handling, AS4_PATH (RFC 6793)
// PathAttributes+Communities.swift   well-known communities, communities from the kernel's BGPCommunity
// ASPathSegment+Codec.swift          AS_PATH segments, AS_TRANS and the AS4_PATH merge
// MPReachNLRI+Codec.swift            MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760, RFC 2545)
// NLRI.swift                         the prefix encoding shared by all NLRI fields
// NotificationMessage(+Codec).swift  NOTIFICATION (RFC 4271 §4.5, RFC 9003) and ROUTE-REFRESH (RFC 2918, RFC 7313)
// BGPDecodeError.swift               what a malformed message calls for: NOTIFICATION or RFC 7606 action
// UpdatePacker.swift                 many prefixes with one attribute set into the fewest UPDATEs
//
// Decoding never traps on any input (fuzzed: Fuzz/README.md); encoding a message larger than the negotiated size
// is a programmer error.

/// One BGP message (RFC 4271 §4), decoded.
///
/// The codec (``BGPMessage/decode(from:options:)`` and ``BGPMessage/encode(into:options:)``) depends only on
/// NIOCore's ByteBuffer; the session shell frames the TCP stream with it.
public enum BGPMessage: Hashable, Sendable {
    /// OPEN (RFC 4271 §4.2).
    case open(OpenMessage)
    /// UPDATE (RFC 4271 §4.3).
    case update(UpdateMessage)
    /// NOTIFICATION (RFC 4271 §4.5).
    case notification(NotificationMessage)
    /// KEEPALIVE (RFC 4271 §4.4).
    case keepalive
    /// ROUTE-REFRESH (RFC 2918 §3).
    case routeRefresh(RouteRefreshMessage)

    /// The message type codes (RFC 4271 §4.1, RFC 2918 §3).
    public enum Kind: UInt8, Hashable, Sendable {
        /// OPEN.
        case open = 1
        /// UPDATE.
        case update = 2
        /// NOTIFICATION.
        case notification = 3
        /// KEEPALIVE.
        case keepalive = 4
        /// ROUTE-REFRESH.
        case routeRefresh = 5
    }

    /// This message's type code.
    public var kind: Kind {
        switch self {
        case .open: .open
        case .update: .update
        case .notification: .notification
        case .keepalive: .keepalive
        case .routeRefresh: .routeRefresh
        }
    }
}

/// What the codec needs to know about the session: settings negotiated in the OPEN exchange.
public struct BGPCodecOptions: Hashable, Sendable {
    /// Whether both sides announced the 4-octet AS capability (RFC 6793): AS_PATH then carries 4-octet ASNs.
    public var fourOctetAS: Bool
    /// The largest message allowed: 4096 (RFC 4271 §4.1), or 65535 with extended messages (RFC 8654).
    public var maxMessageSize: Int

    /// Creates options; the defaults are those before the OPEN exchange.
    public init(fourOctetAS: Bool = true, maxMessageSize: Int = 4096) {
        self.fourOctetAS = fourOctetAS
        self.maxMessageSize = maxMessageSize
    }

    /// The maximum size of a message (RFC 4271 §4.1).
    public static let standardMaxMessageSize = 4096
    /// The maximum size with the extended message capability (RFC 8654 §3).
    public static let extendedMaxMessageSize = 65535
    /// The size of the fixed header: marker, length and type (RFC 4271 §4.1).
    public static let headerSize = 19
}

/// An address family and subsequent address family (RFC 4760 §6).
public struct AddressFamily: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The AFI: 1 IPv4, 2 IPv6.
    public var afi: UInt16
    /// The SAFI: 1 unicast.
    public var safi: UInt8

    /// Creates a family.
    public init(afi: UInt16, safi: UInt8) {
        self.afi = afi
        self.safi = safi
    }

    /// IPv4 unicast.
    public static let ipv4Unicast = AddressFamily(afi: 1, safi: 1)
    /// IPv6 unicast.
    public static let ipv6Unicast = AddressFamily(afi: 2, safi: 1)

    /// The unicast family of `family`.
    public static func unicast(_ family: IPFamily) -> AddressFamily {
        family == .ipv4 ? .ipv4Unicast : .ipv6Unicast
    }

    /// The IP family of a unicast AFI, or nil.
    public var ipFamily: IPFamily? {
        switch afi {
        case 1: .ipv4
        case 2: .ipv6
        default: nil
        }
    }

    /// Orders by AFI, then SAFI.
    public static func < (lhs: AddressFamily, rhs: AddressFamily) -> Bool { (lhs.afi, lhs.safi) < (rhs.afi, rhs.safi) }

    /// `ipv4-unicast`, `ipv6-unicast`, or `afi/safi`.
    public var description: String {
        switch self {
        case .ipv4Unicast: "ipv4-unicast"
        case .ipv6Unicast: "ipv6-unicast"
        default: "\(afi)/\(safi)"
        }
    }
}
