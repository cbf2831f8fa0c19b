import LBKernel
import NIOCore

extension PathAttributes {
    /// The attribute flag bits (RFC 4271 §4.3).
    enum Flag {
        /// Optional (set) or well-known (clear).
        static let optional: UInt8 = 0x80
        /// Transitive.
        static let transitive: UInt8 = 0x40
        /// Partial.
        static let partial: UInt8 = 0x20
        /// The length is two octets.
        static let extendedLength: UInt8 = 0x10
    }

    /// The Optional and Transitive bits each recognised attribute must carry (RFC 4271 §5, RFC 4760 §3–4, RFC 1997,
    /// RFC 6793 §3, RFC 8092 §3); nil for a type lbd does not recognise.
    static func expectedFlags(_ typeCode: UInt8) -> UInt8? {
        switch typeCode {
        case 1, 2, 3, 5, 6: Flag.transitive  // well-known
        case 4, 14, 15: Flag.optional  // optional non-transitive
        case 7, 8, 17, 18, 32: Flag.optional | Flag.transitive  // optional transitive
        default: nil
        }
    }

    /// What decoding the attribute field produced: the attributes and the strongest RFC 7606 error met so far.
    struct Decoded {
        var attributes = PathAttributes()
        var as4Path: [ASPathSegment]?
        /// The strongest soft error (treat-as-withdraw or attribute-discard), RFC 7606 §3.
        var softError: BGPDecodeError?

        mutating func note(_ action: BGPDecodeError.Action, _ message: String) {
            let error = BGPDecodeError(action, "UPDATE: " + message)
            if softError.map({ $0.severity < error.severity }) ?? true { softError = error }
        }
    }

    /// Decodes the Path Attributes field of an UPDATE (RFC 4271 §4.3) with the error handling of RFC 7606.
    ///
    /// Throws only errors that reset the session; treat-as-withdraw and attribute-discard errors are collected in
    /// the result so that the rest of the message is still checked (RFC 7606 §3: the strongest action applies).
    static func decode(_ field: ByteBuffer, options: BGPCodecOptions) throws(BGPDecodeError) -> Decoded {
        var field = field
        var decoded = Decoded()
        var seen = TypeSet()
        while field.readableBytes > 0 {
            let start = field.readerIndex
            // RFC 7606 §4: too few octets for an attribute header, or an attribute running past the field, is
            // treat-as-withdraw; the Total Path Attribute Length still locates the NLRI.
            let wireFlags = field.getInteger(at: start, as: UInt8.self)!
            let headerSize = wireFlags & Flag.extendedLength != 0 ? 4 : 3
            guard field.readableBytes >= headerSize else {
                decoded.note(.treatAsWithdraw, "\(field.readableBytes) octets left in the path attributes, too few for an attribute")
                break
            }
            let typeCode = field.getInteger(at: start + 1, as: UInt8.self)!
            let length = headerSize == 4 ? Int(field.getInteger(at: start + 2, as: UInt16.self)!)
                                         : Int(field.getInteger(at: start + 2, as: UInt8.self)!)
            guard field.readableBytes >= headerSize + length else {
                decoded.note(.treatAsWithdraw, "attribute \(typeCode) of \(length) octets runs past the path attributes")
                break
            }
            let value = field.getSlice(at: start + headerSize, length: length)!
            // The Extended Length bit is a detail of this encoding; the encoder sets it again when needed.
            let flags = wireFlags & ~Flag.extendedLength
            let whole = field.getSlice(at: start, length: headerSize + length)!
            field.moveReaderIndex(forwardBy: headerSize + length)

            // RFC 7606 §3 (g): a second MP_REACH_NLRI or MP_UNREACH_NLRI resets the session; a second copy of any
            // other attribute is discarded.
            if seen.contains(typeCode) {
                if typeCode == TypeCode.mpReachNLRI.rawValue || typeCode == TypeCode.mpUnreachNLRI.rawValue {
                    throw .notification(.updateMessage, NotificationMessage.UpdateSubcode.malformedAttributeList.rawValue,
                                        "UPDATE: attribute \(typeCode) appears twice")
                }
                decoded.note(.attributeDiscard, "attribute \(typeCode) appears more than once; the copies are ignored")
                continue
            }
            seen.insert(typeCode)

            guard let expected = expectedFlags(typeCode) else {
                // RFC 4271 §6.3: an unrecognised well-known attribute resets the session with the attribute as data.
                guard flags & Flag.optional != 0 else {
                    throw .notification(.updateMessage,
                                        NotificationMessage.UpdateSubcode.unrecognizedWellKnownAttribute.rawValue,
                                        data: Array(whole.readableBytesView),
                                        "UPDATE: attribute \(typeCode) is not recognised but marked well-known")
                }
                decoded.attributes.other.append(RawPathAttribute(flags: flags, typeCode: typeCode,
                                                                 value: Array(value.readableBytesView)))
                continue
            }
            // RFC 7606 §3 (c): Optional or Transitive bits in conflict with the type are treat-as-withdraw.
            let flagsMatch = flags & (Flag.optional | Flag.transitive) == expected
            if !flagsMatch {
                decoded.note(.treatAsWithdraw, "attribute \(typeCode) has flags \(hex(flags)), expected \(hex(expected))")
            }
            try decodeRecognised(typeCode: typeCode, flags: flags, value: value, whole: whole, options: options,
                                 flagsMatch: flagsMatch, into: &decoded)
        }
        // In type order, as the encoder writes them (RFC 4271 §5); type codes are unique by now.
        decoded.attributes.other.sort { $0.typeCode < $1.typeCode }
        // RFC 6793 §4.2.3: an old speaker's AS_PATH and AS4_PATH merge into the real path.
        if let as4Path = decoded.as4Path, let asPath = decoded.attributes.asPath {
            decoded.attributes.asPath = ASPathSegment.merge(asPath: asPath, as4Path: as4Path)
        }
        return decoded
    }

    /// Decodes one recognised attribute into `decoded`, applying its RFC 7606 §7 rule.
    private static func decodeRecognised(typeCode: UInt8, flags: UInt8, value: ByteBuffer, whole: ByteBuffer,
                                         options: BGPCodecOptions, flagsMatch: Bool,
                                         into decoded: inout Decoded) throws(BGPDecodeError) {
        let length = value.readableBytes
        let asSize = options.fourOctetAS ? 4 : 2
        switch TypeCode(rawValue: typeCode) {
        case .mpReachNLRI:
            // Parsed even with wrong flags: treat-as-withdraw needs the NLRI located (RFC 7606 §3, §5.3).
            let reach = try MPReachNLRI.decode(value, whole: whole)
            switch reach {
            case .parsed(let attribute): decoded.attributes.mpReach = attribute
            case .otherFamily: decoded.attributes.other.append(RawPathAttribute(
                flags: flags, typeCode: typeCode, value: Array(value.readableBytesView)))
            }
            return
        case .mpUnreachNLRI:
            let unreach = try MPUnreachNLRI.decode(value, whole: whole)
            switch unreach {
            case .parsed(let attribute): decoded.attributes.mpUnreach = attribute
            case .otherFamily: decoded.attributes.other.append(RawPathAttribute(
                flags: flags, typeCode: typeCode, value: Array(value.readableBytesView)))
            }
            return
        default:
            break
        }
        guard flagsMatch else { return }
        var value = value
        switch TypeCode(rawValue: typeCode) {
        case .origin:
            // RFC 7606 §7.1: a length other than 1 or an undefined value is treat-as-withdraw.
            guard length == 1, let origin = Origin(rawValue: value.readInteger(as: UInt8.self)!) else {
                decoded.note(.treatAsWithdraw, "ORIGIN of \(length) octets or with an undefined value")
                return
            }
            decoded.attributes.origin = origin
        case .asPath:
            // RFC 7606 §7.2: a malformed AS_PATH is treat-as-withdraw.
            do throws(WireProblem) {
                decoded.attributes.asPath = try ASPathSegment.decodePath(value, asSize: asSize)
            } catch {
                decoded.note(.treatAsWithdraw, "AS_PATH (\(asSize)-octet ASNs) is malformed: \(error.reason)")
            }
        case .nextHop:
            // RFC 7606 §7.3: a length other than 4 is treat-as-withdraw.
            guard length == 4 else {
                decoded.note(.treatAsWithdraw, "NEXT_HOP of \(length) octets")
                return
            }
            decoded.attributes.nextHop = IPv4Address(value.readInteger(as: UInt32.self)!)
        case .multiExitDisc:
            // RFC 7606 §7.4
            guard length == 4 else {
                decoded.note(.treatAsWithdraw, "MULTI_EXIT_DISC of \(length) octets")
                return
            }
            decoded.attributes.multiExitDisc = value.readInteger(as: UInt32.self)!
        case .localPref:
            // RFC 7606 §7.5
            guard length == 4 else {
                decoded.note(.treatAsWithdraw, "LOCAL_PREF of \(length) octets")
                return
            }
            decoded.attributes.localPref = value.readInteger(as: UInt32.self)!
        case .atomicAggregate:
            // RFC 7606 §7.6: a length other than 0 is attribute-discard.
            guard length == 0 else {
                decoded.note(.attributeDiscard, "ATOMIC_AGGREGATE of \(length) octets")
                return
            }
            decoded.attributes.other.append(RawPathAttribute(flags: flags, typeCode: typeCode, value: []))
        case .aggregator:
            // RFC 7606 §7.7: a length other than 6 (8 with 4-octet ASNs) is attribute-discard.
            guard length == asSize + 4 else {
                decoded.note(.attributeDiscard, "AGGREGATOR of \(length) octets, expected \(asSize + 4)")
                return
            }
            decoded.attributes.other.append(RawPathAttribute(flags: flags, typeCode: typeCode,
                                                             value: Array(value.readableBytesView)))
        case .communities:
            // RFC 7606 §7.8: a length that is zero or not a multiple of 4 is treat-as-withdraw.
            guard length > 0, length % 4 == 0 else {
                decoded.note(.treatAsWithdraw, "COMMUNITIES of \(length) octets (a non-zero multiple of 4)")
                return
            }
            decoded.attributes.communities.reserveCapacity(length / 4)
            while let community = value.readInteger(as: UInt32.self) {
                decoded.attributes.communities.append(community)
            }
        case .largeCommunity:
            // RFC 8092 §6: a length that is zero or not a multiple of 12 is treat-as-withdraw; repeated values are
            // removed silently.
            guard length > 0, length % 12 == 0 else {
                decoded.note(.treatAsWithdraw, "LARGE_COMMUNITY of \(length) octets (a non-zero multiple of 12)")
                return
            }
            var seenValues = Set<LargeCommunity>()
            while let a = value.readInteger(as: UInt32.self) {
                let community = LargeCommunity(a, value.readInteger(as: UInt32.self)!,
                                               value.readInteger(as: UInt32.self)!)
                if seenValues.insert(community).inserted { decoded.attributes.largeCommunities.append(community) }
            }
        case .as4Path:
            // RFC 6793 §4.1: between two 4-octet speakers AS4_PATH is discarded; otherwise a malformed one (or one
            // with confederation segments) is attribute-discard (RFC 6793 §6).
            guard !options.fourOctetAS else { return }
            do throws(WireProblem) {
                let path = try ASPathSegment.decodePath(value, asSize: 4)
                guard path.allSatisfy({ $0.kind == .sequence || $0.kind == .set }) else {
                    throw WireProblem("it holds confederation segments")
                }
                decoded.as4Path = path
            } catch {
                decoded.note(.attributeDiscard, "AS4_PATH is malformed: \(error.reason)")
            }
        case .as4Aggregator:
            guard !options.fourOctetAS else { return }
            guard length == 8 else {
                decoded.note(.attributeDiscard, "AS4_AGGREGATOR of \(length) octets, expected 8")
                return
            }
            decoded.attributes.other.append(RawPathAttribute(flags: flags, typeCode: typeCode,
                                                             value: Array(value.readableBytesView)))
        case .mpReachNLRI, .mpUnreachNLRI, nil:
            preconditionFailure("attribute \(typeCode) has expected flags but no decoder")
        }
    }
}

/// `0x` and two hex digits.
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
}

/// A set of attribute type codes, as 256 bits.
struct TypeSet {
    private var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    func contains(_ code: UInt8) -> Bool {
        let mask = UInt64(1) << (code & 63)
        switch code >> 6 {
        case 0: return bits.0 & mask != 0
        case 1: return bits.1 & mask != 0
        case 2: return bits.2 & mask != 0
        default: return bits.3 & mask != 0
        }
    }

    mutating func insert(_ code: UInt8) {
        let mask = UInt64(1) << (code & 63)
        switch code >> 6 {
        case 0: bits.0 |= mask
        case 1: bits.1 |= mask
        case 2: bits.2 |= mask
        default: bits.3 |= mask
        }
    }
}
