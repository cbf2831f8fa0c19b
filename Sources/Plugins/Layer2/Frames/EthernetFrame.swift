/// An Ethernet II frame with up to two VLAN tags, without the frame check sequence (libpcap does not deliver it).
///
/// Decoding keeps everything after the EtherType as `payload`, trailing padding included: the inner protocol knows
/// its own length (ARP is 28 octets, IPv6 carries a payload length) and ignores the rest.
public struct EthernetFrame: Hashable, Sendable {
    /// The destination MAC address.
    public var destination: MACAddress
    /// The source MAC address.
    public var source: MACAddress
    /// The VLAN tags, outermost first (0 to 2, IEEE 802.1Q / 802.1ad).
    public var vlanTags: [VLANTag]
    /// The EtherType of the payload (after the tags).
    public var etherType: UInt16
    /// The payload, with any padding.
    public var payload: [UInt8]

    /// The EtherType of ARP (RFC 826).
    public static let etherTypeARP: UInt16 = 0x0806
    /// The EtherType of IPv6 (RFC 2464 §3).
    public static let etherTypeIPv6: UInt16 = 0x86DD
    /// The shortest frame on the wire without the 4-octet FCS (IEEE 802.3: 64 octets with it).
    public static let minimumLength = 60
    /// The most stacked VLAN tags decoded.
    public static let maximumVLANTags = 2

    /// Creates a frame.
    public init(destination: MACAddress, source: MACAddress, vlanTags: [VLANTag] = [], etherType: UInt16,
                payload: [UInt8]) {
        self.destination = destination
        self.source = source
        self.vlanTags = vlanTags
        self.etherType = etherType
        self.payload = payload
    }

    /// Decodes a frame as libpcap delivers it (destination first, no FCS; VLAN tags inline).
    public init(decoding bytes: [UInt8]) throws(FrameDecodeError) {
        guard bytes.count >= 14 else {
            throw .truncated(what: "Ethernet header", needed: 14, available: bytes.count)
        }
        destination = bytes.mac(at: 0)
        source = bytes.mac(at: 6)
        vlanTags = []
        var offset = 12
        while VLANTag.isTPID(bytes.uint16(at: offset)) {
            guard vlanTags.count < EthernetFrame.maximumVLANTags else { throw .tooManyVLANTags }
            // IEEE 802.1Q §9.5: TPID, TCI, then the next EtherType (or TPID).
            guard bytes.count >= offset + 6 else {
                throw .truncated(what: "VLAN tag at offset \(offset)", needed: 6, available: bytes.count - offset)
            }
            vlanTags.append(VLANTag(tpid: bytes.uint16(at: offset), tci: bytes.uint16(at: offset + 2)))
            offset += 4
        }
        etherType = bytes.uint16(at: offset)
        payload = Array(bytes[(offset + 2)...])
    }

    /// The frame's bytes, zero-padded to 60 octets (the minimum without FCS).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(EthernetFrame.minimumLength, 14 + 4 * vlanTags.count + payload.count))
        bytes += destination.bytes
        bytes += source.bytes
        for tag in vlanTags {
            bytes.append(uint16: tag.tpid)
            bytes.append(uint16: tag.tci)
        }
        bytes.append(uint16: etherType)
        bytes += payload
        if bytes.count < EthernetFrame.minimumLength {
            bytes += repeatElement(0, count: EthernetFrame.minimumLength - bytes.count)
        }
        return bytes
    }
}
