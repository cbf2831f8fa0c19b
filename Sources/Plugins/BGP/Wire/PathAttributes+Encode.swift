import LBKernel
import NIOCore

extension PathAttributes {
    /// The size of an attribute header for a value of `length` octets: 3, or 4 with the extended length (RFC 4271
    /// §4.3).
    @inline(__always)
    static func headerSize(valueLength length: Int) -> Int { length > 255 ? 4 : 3 }

    /// Appends an attribute header, with the Extended Length bit set exactly when the value exceeds 255 octets.
    @inline(__always)
    static func writeHeader(flags: UInt8, typeCode: UInt8, valueLength: Int, into buffer: inout ByteBuffer) {
        if valueLength > 255 {
            buffer.writeInteger(flags | Flag.extendedLength)
            buffer.writeInteger(typeCode)
            buffer.writeInteger(UInt16(valueLength))
        } else {
            buffer.writeInteger(flags & ~Flag.extendedLength)
            buffer.writeInteger(typeCode)
            buffer.writeInteger(UInt8(valueLength))
        }
    }

    /// The flags lbd sends with a recognised attribute (RFC 4271 §5 and the attribute's RFC).
    static func sendFlags(_ type: TypeCode) -> UInt8 { expectedFlags(type.rawValue)! }

    /// The octets the encoded attributes take, headers included.
    public func encodedLength(options: BGPCodecOptions) -> Int {
        var total = 0
        let add = { (length: Int) in total += PathAttributes.headerSize(valueLength: length) + length }
        if let mpReach { add(mpReach.valueLength) }
        if let mpUnreach { add(mpUnreach.valueLength) }
        if origin != nil { add(1) }
        if let asPath {
            add(ASPathSegment.encodedLength(asPath, asSize: options.fourOctetAS ? 4 : 2))
            if !options.fourOctetAS, ASPathSegment.needsAS4Path(asPath) {
                add(ASPathSegment.encodedLength(ASPathSegment.as4Path(asPath), asSize: 4))
            }
        }
        if nextHop != nil { add(4) }
        if multiExitDisc != nil { add(4) }
        if localPref != nil { add(4) }
        if !communities.isEmpty { add(4 * communities.count) }
        if !largeCommunities.isEmpty { add(12 * largeCommunities.count) }
        for raw in other { add(raw.value.count) }
        return total
    }

    /// Appends the attributes: MP_REACH_NLRI and MP_UNREACH_NLRI first (RFC 7606 §5.1), the others in ascending
    /// type order (RFC 4271 §5), raw ones among them. With 2-octet ASNs, AS_PATH carries AS_TRANS for ASNs that
    /// do not fit and AS4_PATH the real path (RFC 6793 §4.2.2).
    public func encode(into buffer: inout ByteBuffer, options: BGPCodecOptions) {
        if let mpReach {
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.mpReachNLRI), typeCode: TypeCode.mpReachNLRI.rawValue,
                                       valueLength: mpReach.valueLength, into: &buffer)
            mpReach.encodeValue(into: &buffer)
        }
        if let mpUnreach {
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.mpUnreachNLRI),
                                       typeCode: TypeCode.mpUnreachNLRI.rawValue,
                                       valueLength: mpUnreach.valueLength, into: &buffer)
            mpUnreach.encodeValue(into: &buffer)
        }
        var raw = RawAttributeQueue(other)
        if let origin {
            raw.write(before: .origin, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.origin), typeCode: TypeCode.origin.rawValue,
                                       valueLength: 1, into: &buffer)
            buffer.writeInteger(origin.rawValue)
        }
        var as4Path: [ASPathSegment]?
        if let asPath {
            raw.write(before: .asPath, into: &buffer)
            let asSize = options.fourOctetAS ? 4 : 2
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.asPath), typeCode: TypeCode.asPath.rawValue,
                                       valueLength: ASPathSegment.encodedLength(asPath, asSize: asSize), into: &buffer)
            ASPathSegment.encode(asPath, asSize: asSize, into: &buffer)
            if !options.fourOctetAS, ASPathSegment.needsAS4Path(asPath) { as4Path = ASPathSegment.as4Path(asPath) }
        }
        if let nextHop {
            raw.write(before: .nextHop, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.nextHop), typeCode: TypeCode.nextHop.rawValue,
                                       valueLength: 4, into: &buffer)
            buffer.writeInteger(nextHop.value)
        }
        if let multiExitDisc {
            raw.write(before: .multiExitDisc, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.multiExitDisc),
                                       typeCode: TypeCode.multiExitDisc.rawValue, valueLength: 4, into: &buffer)
            buffer.writeInteger(multiExitDisc)
        }
        if let localPref {
            raw.write(before: .localPref, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.localPref), typeCode: TypeCode.localPref.rawValue,
                                       valueLength: 4, into: &buffer)
            buffer.writeInteger(localPref)
        }
        if !communities.isEmpty {
            raw.write(before: .communities, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.communities),
                                       typeCode: TypeCode.communities.rawValue, valueLength: 4 * communities.count,
                                       into: &buffer)
            for community in communities { buffer.writeInteger(community) }
        }
        if let as4Path {
            raw.write(before: .as4Path, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.as4Path), typeCode: TypeCode.as4Path.rawValue,
                                       valueLength: ASPathSegment.encodedLength(as4Path, asSize: 4), into: &buffer)
            ASPathSegment.encode(as4Path, asSize: 4, into: &buffer)
        }
        if !largeCommunities.isEmpty {
            raw.write(before: .largeCommunity, into: &buffer)
            PathAttributes.writeHeader(flags: PathAttributes.sendFlags(.largeCommunity),
                                       typeCode: TypeCode.largeCommunity.rawValue,
                                       valueLength: 12 * largeCommunities.count, into: &buffer)
            for community in largeCommunities {
                buffer.writeInteger(community.globalAdministrator)
                buffer.writeInteger(community.localData1)
                buffer.writeInteger(community.localData2)
            }
        }
        raw.writeRest(into: &buffer)
    }
}

/// The raw attributes of a ``PathAttributes`` in ascending type order (stable), written between the recognised ones.
private struct RawAttributeQueue {
    private var sorted: [RawPathAttribute]
    private var next = 0

    init(_ other: [RawPathAttribute]) {
        sorted = other.count < 2 ? other
            : other.enumerated().sorted { ($0.element.typeCode, $0.offset) < ($1.element.typeCode, $1.offset) }
                .map(\.element)
    }

    /// Writes the raw attributes whose type code is below `type`.
    mutating func write(before type: PathAttributes.TypeCode, into buffer: inout ByteBuffer) {
        while next < sorted.count, sorted[next].typeCode < type.rawValue {
            write(sorted[next], into: &buffer)
            next += 1
        }
    }

    /// Writes the raw attributes left.
    mutating func writeRest(into buffer: inout ByteBuffer) {
        while next < sorted.count {
            write(sorted[next], into: &buffer)
            next += 1
        }
    }

    private func write(_ raw: RawPathAttribute, into buffer: inout ByteBuffer) {
        PathAttributes.writeHeader(flags: raw.flags, typeCode: raw.typeCode, valueLength: raw.value.count,
                                   into: &buffer)
        buffer.writeBytes(raw.value)
    }
}
