public import LBKernel

/// The fixed IPv6 header (RFC 8200 §3).
public struct IPv6Header: Hashable, Sendable {
    /// The traffic class (8 bits).
    public var trafficClass: UInt8
    /// The flow label (20 bits).
    public var flowLabel: UInt32
    /// The payload length: the octets after this header.
    public var payloadLength: UInt16
    /// The next header (58 for ICMPv6).
    public var nextHeader: UInt8
    /// The hop limit; neighbor discovery messages must arrive with 255 (RFC 4861 §7.1.1/§7.1.2).
    public var hopLimit: UInt8
    /// The source address.
    public var source: IPv6Address
    /// The destination address.
    public var destination: IPv6Address

    /// The length of the fixed header.
    public static let length = 40
    /// The next header value of ICMPv6 (RFC 4443 §1).
    public static let nextHeaderICMPv6: UInt8 = 58

    /// Creates a header.
    public init(trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, payloadLength: UInt16, nextHeader: UInt8,
                hopLimit: UInt8, source: IPv6Address, destination: IPv6Address) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel & 0xF_FFFF
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
        self.source = source
        self.destination = destination
    }

    /// Decodes the first 40 octets of `bytes`; checks the version only (the payload length is the caller's to check).
    public init(decoding bytes: [UInt8]) throws(FrameDecodeError) {
        guard bytes.count >= IPv6Header.length else {
            throw .truncated(what: "IPv6 header", needed: IPv6Header.length, available: bytes.count)
        }
        let first = bytes.uint32(at: 0)
        guard first >> 28 == 6 else { throw .notIPv6(version: UInt8(first >> 28)) }
        trafficClass = UInt8(truncatingIfNeeded: first >> 20)
        flowLabel = first & 0xF_FFFF
        payloadLength = bytes.uint16(at: 4)
        nextHeader = bytes[6]
        hopLimit = bytes[7]
        source = IPv6Address(bytes.uint128(at: 8))
        destination = IPv6Address(bytes.uint128(at: 24))
    }

    /// The 40 octets of the header.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(IPv6Header.length)
        bytes.append(uint32: 6 << 28 | UInt32(trafficClass) << 20 | flowLabel & 0xF_FFFF)
        bytes.append(uint16: payloadLength)
        bytes += [nextHeader, hopLimit]
        bytes += source.bytes
        bytes += destination.bytes
        return bytes
    }
}

extension IPv6Address {
    /// Whether this is a multicast address (ff00::/8, RFC 4291 §2.7).
    var isMulticast: Bool { value >> 120 == 0xFF }
    /// Whether this is the unspecified address `::` (RFC 4291 §2.5.2).
    var isUnspecified: Bool { value == 0 }
    /// Whether this is a solicited-node multicast address, ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
    var isSolicitedNodeMulticast: Bool { value >> 24 == Layer2Frames.solicitedNodePrefix >> 24 }
}
