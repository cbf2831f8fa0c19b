import LBKernel
import NIOCore

/// What decoding MP_REACH_NLRI or MP_UNREACH_NLRI gave: the attribute, or a family lbd does not parse (kept raw).
enum MPAttributeDecoding<Attribute> {
    /// An IPv4 or IPv6 unicast attribute.
    case parsed(Attribute)
    /// Another family: the caller keeps the attribute raw.
    case otherFamily
}

extension MPReachNLRI {
    /// Decodes the value of MP_REACH_NLRI (RFC 4760 §3); `whole` is the attribute with its header, the data of the
    /// NOTIFICATION.
    ///
    /// RFC 7606 §7.11: a next hop length that does not fit the family, or NLRI that cannot be parsed, resets the
    /// session (UPDATE Message Error / Optional Attribute Error), since the prefixes cannot be located otherwise.
    static func decode(_ value: ByteBuffer, whole: ByteBuffer) throws(BGPDecodeError)
        -> MPAttributeDecoding<MPReachNLRI> {
        var value = value
        let malformed = { (why: String) -> BGPDecodeError in
            .notification(.updateMessage, NotificationMessage.UpdateSubcode.optionalAttributeError.rawValue,
                          data: Array(whole.readableBytesView), "UPDATE: MP_REACH_NLRI \(why)")
        }
        guard value.readableBytes >= 5 else { throw malformed("of \(value.readableBytes) octets (at least 5)") }
        let family = AddressFamily(afi: value.readInteger(as: UInt16.self)!, safi: value.readInteger(as: UInt8.self)!)
        let nextHopLength = Int(value.readInteger(as: UInt8.self)!)
        guard let ipFamily = family.ipFamily, family.safi == AddressFamily.ipv4Unicast.safi else { return .otherFamily }
        guard var nextHopField = value.readSlice(length: nextHopLength), value.readableBytes >= 1 else {
            throw malformed("next hop of \(nextHopLength) octets runs past the attribute")
        }
        // RFC 2545 §3: IPv6 next hops are a global address, optionally followed by a link-local one; IPv4 NLRI
        // may have an IPv4 next hop or an IPv6 one (RFC 8950 §3).
        var nextHops: [IPAddress] = []
        switch (ipFamily, nextHopLength) {
        case (.ipv4, 4):
            nextHops.append(.v4(IPv4Address(nextHopField.readInteger(as: UInt32.self)!)))
        case (_, 16), (_, 32):
            while let address = nextHopField.readInteger(as: UInt128.self) {
                nextHops.append(.v6(IPv6Address(address)))
            }
        default:
            throw malformed("next hop length \(nextHopLength) does not fit \(family)")
        }
        value.moveReaderIndex(forwardBy: 1)  // Reserved (RFC 4760 §3): ignored on receipt.
        var nlri: [IPPrefix] = []
        if let problem = NLRI.read(value, family: ipFamily, into: &nlri) {
            throw malformed("NLRI: \(problem)")
        }
        return .parsed(MPReachNLRI(family: family, nextHops: nextHops, nlri: nlri))
    }

    /// The octets of the next hop field.
    var nextHopLength: Int {
        nextHops.reduce(0) { $0 + ($1.family == .ipv4 ? 4 : 16) }
    }

    /// The length of the value on the wire: AFI, SAFI, next hop length, next hop, reserved octet, NLRI.
    var valueLength: Int { 5 + nextHopLength + NLRI.size(of: nlri) }

    /// Appends the value (RFC 4760 §3).
    func encodeValue(into buffer: inout ByteBuffer) {
        encodeValueHeader(into: &buffer)
        NLRI.write(nlri, into: &buffer)
    }

    /// Appends AFI, SAFI, next hop length, next hops and the reserved octet: the value before the NLRI. The next
    /// hops must be one IPv4 address (IPv4 only), or one or two IPv6 addresses (RFC 2545 §3, RFC 8950 §3).
    func encodeValueHeader(into buffer: inout ByteBuffer) {
        precondition(nextHops.count == 1 && (nextHops[0].family == .ipv6 || family.ipFamily == .ipv4)
                        || nextHops.count == 2 && nextHops.allSatisfy { $0.family == .ipv6 },
                     "MP_REACH_NLRI next hops \(nextHops) do not fit \(family)")
        buffer.writeInteger(family.afi)
        buffer.writeInteger(family.safi)
        buffer.writeInteger(UInt8(nextHopLength))
        for hop in nextHops {
            switch hop {
            case .v4(let address): buffer.writeInteger(address.value)
            case .v6(let address): buffer.writeInteger(address.value)
            }
        }
        buffer.writeInteger(UInt8(0))
    }
}

extension MPUnreachNLRI {
    /// Decodes the value of MP_UNREACH_NLRI (RFC 4760 §4); withdrawn prefixes that cannot be parsed reset the
    /// session (RFC 7606 §7.11). An empty attribute of any family is decoded, since it is an End-of-RIB marker.
    static func decode(_ value: ByteBuffer, whole: ByteBuffer) throws(BGPDecodeError)
        -> MPAttributeDecoding<MPUnreachNLRI> {
        var value = value
        let malformed = { (why: String) -> BGPDecodeError in
            .notification(.updateMessage, NotificationMessage.UpdateSubcode.optionalAttributeError.rawValue,
                          data: Array(whole.readableBytesView), "UPDATE: MP_UNREACH_NLRI \(why)")
        }
        guard value.readableBytes >= 3 else { throw malformed("of \(value.readableBytes) octets (at least 3)") }
        let family = AddressFamily(afi: value.readInteger(as: UInt16.self)!, safi: value.readInteger(as: UInt8.self)!)
        if value.readableBytes == 0 { return .parsed(MPUnreachNLRI(family: family, withdrawn: [])) }
        guard let ipFamily = family.ipFamily, family.safi == AddressFamily.ipv4Unicast.safi else { return .otherFamily }
        var withdrawn: [IPPrefix] = []
        if let problem = NLRI.read(value, family: ipFamily, into: &withdrawn) {
            throw malformed("withdrawn routes: \(problem)")
        }
        return .parsed(MPUnreachNLRI(family: family, withdrawn: withdrawn))
    }

    /// The length of the value on the wire: AFI, SAFI, withdrawn routes.
    var valueLength: Int { 3 + NLRI.size(of: withdrawn) }

    /// Appends the value (RFC 4760 §4).
    func encodeValue(into buffer: inout ByteBuffer) {
        buffer.writeInteger(family.afi)
        buffer.writeInteger(family.safi)
        NLRI.write(withdrawn, into: &buffer)
    }
}
