public import LBKernel

/// Why a received frame could not be decoded: each case names the field or rule that broke.
///
/// The rules come from IEEE 802.1Q (tags), RFC 826 (ARP), RFC 8200 (the IPv6 header) and RFC 4861 §7.1.1/§7.1.2
/// (validation of Neighbor Solicitations and Advertisements). A frame that throws is dropped, never answered.
public enum FrameDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes end before `what` does: it needs `needed` octets from where it starts, `available` are there.
    case truncated(what: String, needed: Int, available: Int)
    /// More than two stacked VLAN tags (802.1ad outer plus 802.1Q inner is the most supported).
    case tooManyVLANTags
    /// An ARP packet that is not Ethernet/IPv4 (RFC 826: hardware type 1, protocol 0x0800, lengths 6 and 4).
    case unsupportedARPFormat(hardwareType: UInt16, protocolType: UInt16, hardwareLength: UInt8, protocolLength: UInt8)
    /// An ARP operation other than request (1) or reply (2).
    case unknownARPOperation(UInt16)
    /// An IPv6 EtherType carrying a packet whose version field is not 6.
    case notIPv6(version: UInt8)
    /// The IPv6 payload length claims more octets than the frame holds (RFC 8200 §3).
    case payloadLengthBeyondFrame(payloadLength: Int, available: Int)
    /// An IPv6 packet from a multicast source address (RFC 4291 §2.7: never a source).
    case multicastSource(IPv6Address)
    /// An IPv6 packet whose next header is not ICMPv6 (58); extension headers are not followed.
    case unsupportedNextHeader(UInt8)
    /// An ICMPv6 message that is neither a Neighbor Solicitation (135) nor a Neighbor Advertisement (136).
    case unsupportedICMPv6Type(UInt8)
    /// The ICMPv6 checksum does not verify (RFC 4443 §2.3; RFC 4861 §7.1.1/§7.1.2).
    case badChecksum(found: UInt16, expected: UInt16)
    /// A Neighbor Solicitation or Advertisement whose ICMPv6 code is not 0 (RFC 4861 §7.1.1/§7.1.2).
    case nonzeroCode(UInt8)
    /// A Neighbor Solicitation or Advertisement shorter than 24 octets (RFC 4861 §7.1.1/§7.1.2).
    case messageTooShort(length: Int)
    /// The target address is a multicast address (RFC 4861 §7.1.1/§7.1.2).
    case multicastTarget(IPv6Address)
    /// An option with length 0 at `offset` octets into the ICMPv6 message (RFC 4861 §4.6, §7.1.1/§7.1.2).
    case zeroLengthOption(offset: Int)
    /// A link-layer address option (type 1 or 2) whose length is not 1 (8 octets for Ethernet, RFC 4861 §4.6.1,
    /// RFC 2464 §8).
    case badLinkLayerOptionLength(type: UInt8, length: UInt8)
    /// A solicitation from the unspecified address carrying a source link-layer address option (RFC 4861 §7.1.1).
    case unspecifiedSourceWithLinkLayerOption
    /// A solicitation from the unspecified address not sent to a solicited-node group (RFC 4861 §7.1.1).
    case unspecifiedSourceNotToSolicitedNode(destination: IPv6Address)
    /// An advertisement to a multicast destination with the Solicited flag set (RFC 4861 §7.1.2).
    case solicitedAdvertisementToMulticast(destination: IPv6Address)

    /// What is wrong, naming the field and the rule.
    public var description: String {
        switch self {
        case .truncated(let what, let needed, let available):
            "truncated \(what): needs \(needed) octets, \(available) available"
        case .tooManyVLANTags:
            "more than two stacked VLAN tags"
        case .unsupportedARPFormat(let htype, let ptype, let hlen, let plen):
            "ARP packet is not Ethernet/IPv4 (RFC 826): hardware type \(htype), protocol type 0x\(String(ptype, radix: 16)), "
                + "hardware length \(hlen), protocol length \(plen); expected 1, 0x800, 6, 4"
        case .unknownARPOperation(let op):
            "ARP operation \(op) is neither request (1) nor reply (2)"
        case .notIPv6(let version):
            "IPv6 EtherType with IP version \(version)"
        case .payloadLengthBeyondFrame(let length, let available):
            "IPv6 payload length \(length) exceeds the \(available) octets after the header"
        case .multicastSource(let source):
            "IPv6 source \(source) is a multicast address (RFC 4291 §2.7)"
        case .unsupportedNextHeader(let next):
            "IPv6 next header \(next) is not ICMPv6 (58)"
        case .unsupportedICMPv6Type(let type):
            "ICMPv6 type \(type) is not a Neighbor Solicitation (135) or Advertisement (136)"
        case .badChecksum(let found, let expected):
            "bad ICMPv6 checksum 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16)) (RFC 4443 §2.3)"
        case .nonzeroCode(let code):
            "ICMPv6 code \(code) is not 0 (RFC 4861 §7.1)"
        case .messageTooShort(let length):
            "neighbor discovery message of \(length) octets is shorter than 24 (RFC 4861 §7.1)"
        case .multicastTarget(let target):
            "target \(target) is a multicast address (RFC 4861 §7.1)"
        case .zeroLengthOption(let offset):
            "option of length 0 at offset \(offset) (RFC 4861 §4.6)"
        case .badLinkLayerOptionLength(let type, let length):
            "link-layer address option \(type) has length \(length), expected 1 for Ethernet (RFC 4861 §4.6.1)"
        case .unspecifiedSourceWithLinkLayerOption:
            "solicitation from :: carries a source link-layer address option (RFC 4861 §7.1.1)"
        case .unspecifiedSourceNotToSolicitedNode(let destination):
            "solicitation from :: sent to \(destination), not a solicited-node group (RFC 4861 §7.1.1)"
        case .solicitedAdvertisementToMulticast(let destination):
            "advertisement to multicast \(destination) has the Solicited flag set (RFC 4861 §7.1.2)"
        }
    }
}
