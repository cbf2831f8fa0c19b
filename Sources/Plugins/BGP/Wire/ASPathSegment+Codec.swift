import NIOCore

/// Why a field could not be parsed, in words; the caller turns it into the RFC's action.
struct WireProblem: Error {
    /// What is wrong, naming the offset or value.
    var reason: String

    init(_ reason: String) { self.reason = reason }
}

extension ASPathSegment {
    /// The most ASNs one segment holds: the segment length is one octet (RFC 4271 §4.3).
    static let maximumCount = 255

    /// Decodes AS_PATH (or AS4_PATH with `asSize` 4) segments (RFC 4271 §4.3, RFC 6793 §3).
    ///
    /// RFC 7606 §7.2: the path is malformed when a segment type is unknown, a segment is empty, a segment runs past
    /// the attribute, or a single octet is left over after the last segment.
    static func decodePath(_ value: ByteBuffer, asSize: Int) throws(WireProblem) -> [ASPathSegment] {
        var value = value
        var path: [ASPathSegment] = []
        while value.readableBytes > 0 {
            guard value.readableBytes >= 2 else {
                throw WireProblem("\(value.readableBytes) octet left after the last segment")
            }
            let typeCode = value.readInteger(as: UInt8.self)!
            let count = Int(value.readInteger(as: UInt8.self)!)
            guard let kind = Kind(rawValue: typeCode) else { throw WireProblem("segment type \(typeCode) is unknown") }
            guard count > 0 else { throw WireProblem("a \(kind) segment is empty") }
            guard value.readableBytes >= count * asSize else {
                throw WireProblem("a segment of \(count) ASNs runs past the end of the attribute")
            }
            var asns: [UInt32] = []
            asns.reserveCapacity(count)
            for _ in 0..<count {
                asns.append(asSize == 4 ? value.readInteger(as: UInt32.self)!
                                        : UInt32(value.readInteger(as: UInt16.self)!))
            }
            path.append(ASPathSegment(kind: kind, asns: asns))
        }
        return path
    }

    /// The octets `path` takes as AS_PATH with `asSize`-octet ASNs; segments longer than 255 ASNs are split, empty
    /// ones left out (RFC 7606 §7.2 makes them malformed).
    static func encodedLength(_ path: [ASPathSegment], asSize: Int) -> Int {
        path.reduce(0) { total, segment in
            let pieces = (segment.asns.count + maximumCount - 1) / maximumCount
            return total + 2 * pieces + asSize * segment.asns.count
        }
    }

    /// Appends `path` with `asSize`-octet ASNs; in 2 octets an ASN that does not fit becomes AS_TRANS (RFC 6793
    /// §4.2.2). A segment longer than 255 ASNs is split into several of the same type; an empty one is left out.
    static func encode(_ path: [ASPathSegment], asSize: Int, into buffer: inout ByteBuffer) {
        for segment in path where !segment.asns.isEmpty {
            var start = 0
            repeat {
                let end = min(segment.asns.count, start + maximumCount)
                buffer.writeInteger(segment.kind.rawValue)
                buffer.writeInteger(UInt8(end - start))
                for asn in segment.asns[start..<end] {
                    if asSize == 4 {
                        buffer.writeInteger(asn)
                    } else {
                        buffer.writeInteger(asn <= UInt32(UInt16.max) ? UInt16(asn) : OpenMessage.asTrans)
                    }
                }
                start = end
            } while start < segment.asns.count
        }
    }

    /// True when `path` holds an ASN that 2 octets cannot carry, so that an old speaker needs AS4_PATH (RFC 6793
    /// §4.2.2).
    static func needsAS4Path(_ path: [ASPathSegment]) -> Bool {
        path.contains { $0.asns.contains { $0 > UInt32(UInt16.max) } }
    }

    /// AS4_PATH for `path`: the same without confederation segments, which AS4_PATH never carries (RFC 6793 §3).
    static func as4Path(_ path: [ASPathSegment]) -> [ASPathSegment] {
        path.filter { $0.kind == .sequence || $0.kind == .set }
    }

    /// The number of ASes in `path` as RFC 4271 §9.1.2.2 counts them: a set counts one, confederation segments
    /// none.
    static func pathLength(_ path: [ASPathSegment]) -> Int {
        path.reduce(0) { total, segment in
            switch segment.kind {
            case .sequence: total + segment.asns.count
            case .set: total + 1
            case .confedSequence, .confedSet: total
            }
        }
    }

    /// The real path from a 2-octet AS_PATH and the AS4_PATH that came with it (RFC 6793 §4.2.3): the leading ASes
    /// of AS_PATH that AS4_PATH lacks, then AS4_PATH; AS4_PATH is ignored when it is longer than AS_PATH.
    static func merge(asPath: [ASPathSegment], as4Path: [ASPathSegment]) -> [ASPathSegment] {
        let lead = pathLength(asPath) - pathLength(as4Path)
        guard lead >= 0 else { return asPath }
        var merged: [ASPathSegment] = []
        var needed = lead
        for segment in asPath {
            if segment.kind == .confedSequence || segment.kind == .confedSet {
                // Not counted, and never in AS4_PATH: kept as they come in the leading part (RFC 5065 §3).
                merged.append(segment)
            } else if needed > 0, segment.kind == .sequence {
                let taken = min(needed, segment.asns.count)
                merged.append(ASPathSegment(kind: .sequence, asns: Array(segment.asns[..<taken])))
                needed -= taken
            } else if needed > 0 {
                merged.append(segment)
                needed -= 1
            } else {
                break
            }
        }
        for segment in as4Path {
            if segment.kind == .sequence, let last = merged.last, last.kind == .sequence,
               last.asns.count + segment.asns.count <= maximumCount {
                merged[merged.count - 1].asns += segment.asns
            } else {
                merged.append(segment)
            }
        }
        return merged
    }
}
