public import LBKernel

/// An IPv6 packet carrying a Neighbor Solicitation or Advertisement (RFC 4861 §4.3, §4.4).
///
/// Decoding validates as RFC 4861 §7.1.1 (solicitations) and §7.1.2 (advertisements) require, except the hop limit,
/// which the header exposes for the responder to check: a source that is not multicast (RFC 4291 §2.7), next header ICMPv6 (no extension headers), a checksum that
/// verifies, code 0, at least 24 octets, a unicast target, no zero-length option; a solicitation from `::` must go to
/// a solicited-node group and carry no source link-layer address; an advertisement to a multicast address must not
/// have the Solicited flag.
public struct NDPPacket: Hashable, Sendable {
    /// The IPv6 header (as received, or as built with the payload length of `message`).
    public var header: IPv6Header
    /// The neighbor discovery message.
    public var message: NDPMessage

    /// Creates a packet with a header computed for `message` (next header 58, its payload length).
    public init(source: IPv6Address, destination: IPv6Address, hopLimit: UInt8 = 255, message: NDPMessage) {
        self.header = IPv6Header(payloadLength: UInt16(message.encodedWithoutChecksum().count),
                                 nextHeader: IPv6Header.nextHeaderICMPv6, hopLimit: hopLimit, source: source,
                                 destination: destination)
        self.message = message
    }

    /// Creates a packet from a header and a message as they are.
    public init(header: IPv6Header, message: NDPMessage) {
        self.header = header
        self.message = message
    }

    /// Decodes the IPv6 payload of an Ethernet frame; octets after the IPv6 payload length (padding) are ignored.
    public init(decoding bytes: [UInt8]) throws(FrameDecodeError) {
        let header = try IPv6Header(decoding: bytes)
        let available = bytes.count - IPv6Header.length
        guard Int(header.payloadLength) <= available else {
            throw .payloadLengthBeyondFrame(payloadLength: Int(header.payloadLength), available: available)
        }
        guard !header.source.isMulticast else { throw .multicastSource(header.source) }
        guard header.nextHeader == IPv6Header.nextHeaderICMPv6 else { throw .unsupportedNextHeader(header.nextHeader) }
        let icmp = Array(bytes[IPv6Header.length..<(IPv6Header.length + Int(header.payloadLength))])
        guard icmp.count >= 4 else { throw .truncated(what: "ICMPv6 header", needed: 4, available: icmp.count) }
        let type = icmp[0]
        guard type == NDPMessage.typeSolicitation || type == NDPMessage.typeAdvertisement else {
            throw .unsupportedICMPv6Type(type)
        }
        // RFC 4861 §7.1.1/§7.1.2, in their order: checksum, code, length, target, options.
        guard InternetChecksum.verifiesICMPv6(message: icmp, source: header.source, destination: header.destination)
        else {
            var zeroed = icmp
            zeroed[2] = 0
            zeroed[3] = 0
            let expected = InternetChecksum.icmpv6(message: zeroed, source: header.source,
                                                   destination: header.destination)
            throw .badChecksum(found: icmp.uint16(at: 2), expected: expected)
        }
        guard icmp[1] == 0 else { throw .nonzeroCode(icmp[1]) }
        guard icmp.count >= 24 else { throw .messageTooShort(length: icmp.count) }
        let target = IPv6Address(icmp.uint128(at: 8))
        guard !target.isMulticast else { throw .multicastTarget(target) }
        let options = try NDPOptions(decoding: icmp, from: 24)
        if type == NDPMessage.typeSolicitation {
            if header.source.isUnspecified {
                guard header.destination.isSolicitedNodeMulticast else {
                    throw .unspecifiedSourceNotToSolicitedNode(destination: header.destination)
                }
                guard options.sourceLinkLayer == nil else { throw .unspecifiedSourceWithLinkLayerOption }
            }
            message = .solicitation(NeighborSolicitation(target: target, sourceLinkLayer: options.sourceLinkLayer))
        } else {
            let flags = icmp[4]
            let advertisement = NeighborAdvertisement(router: flags & 0x80 != 0, solicited: flags & 0x40 != 0,
                                                      override: flags & 0x20 != 0, target: target,
                                                      targetLinkLayer: options.targetLinkLayer)
            guard !(header.destination.isMulticast && advertisement.solicited) else {
                throw .solicitedAdvertisementToMulticast(destination: header.destination)
            }
            message = .advertisement(advertisement)
        }
        self.header = header
    }

    /// The IPv6 packet: the header with next header 58 and the message's payload length, then the message with its
    /// checksum computed (RFC 4443 §2.3).
    public func encoded() -> [UInt8] {
        var icmp = message.encodedWithoutChecksum()
        let checksum = InternetChecksum.icmpv6(message: icmp, source: header.source, destination: header.destination)
        icmp[2] = UInt8(truncatingIfNeeded: checksum >> 8)
        icmp[3] = UInt8(truncatingIfNeeded: checksum)
        var header = header
        header.payloadLength = UInt16(icmp.count)
        header.nextHeader = IPv6Header.nextHeaderICMPv6
        return header.encoded() + icmp
    }
}
