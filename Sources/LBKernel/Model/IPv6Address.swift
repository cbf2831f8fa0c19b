/// An IPv6 address as a 128-bit value.
///
/// Parsing follows RFC 4291 §2.2 (hex groups, one `::`, an optional dotted-quad tail); zone ids (`%eth0`) are
/// rejected because a service address is never link-scoped. Formatting follows RFC 5952 §4: lower case, no
/// leading zeros, the longest run of two or more zero groups (the first on a tie) shortened to `::`, and
/// IPv4-mapped addresses written with a dotted-quad tail (§5).
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a 128-bit number, most significant group first.
    public var value: UInt128

    /// Creates an address from its 128-bit value.
    public init(_ value: UInt128) { self.value = value }

    /// Parses RFC 4291 text; returns nil for anything else, including zone ids.
    public init?(_ text: some StringProtocol) {
        guard let value = IPv6Address.parse(Array(text.utf8)) else { return nil }
        self.value = value
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * $0)) }
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(120 - 8 * $0)) }
    }

    /// The RFC 5952 canonical text form.
    public var description: String {
        let groups = self.groups
        // RFC 5952 §5: IPv4-mapped addresses (::ffff:0:0/96) keep their dotted-quad tail.
        if value >> 32 == 0xFFFF {
            return "::ffff:" + IPv4Address(UInt32(truncatingIfNeeded: value)).description
        }
        // RFC 5952 §4.2: find the longest run (>= 2) of zero groups; the first one wins a tie.
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                let length = i - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// Orders addresses numerically.
    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool { lhs.value < rhs.value }

    static func parse(_ bytes: [UInt8]) -> UInt128? {
        if bytes.isEmpty || bytes.count > 45 { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var index = 0
        if bytes.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawDoubleColon = true
            index = 2
            if index == bytes.count { return 0 }
        } else if bytes[0] == UInt8(ascii: ":") {
            return nil
        }
        while index < bytes.count {
            // A dotted-quad tail takes the last 32 bits (RFC 4291 §2.2 form 3).
            if let dot = bytes[index...].firstIndex(of: UInt8(ascii: ".")),
               !bytes[index..<dot].contains(UInt8(ascii: ":")) {
                guard let v4 = IPv4Address.parse(bytes[index...]) else { return nil }
                let pair = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                if sawDoubleColon { tail += pair } else { head += pair }
                index = bytes.count
                break
            }
            var group: UInt32 = 0
            var digits = 0
            while index < bytes.count, let nibble = hexValue(bytes[index]) {
                group = group << 4 | UInt32(nibble)
                digits += 1
                index += 1
                if digits > 4 { return nil }
            }
            if digits == 0 { return nil }
            if sawDoubleColon { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if index == bytes.count { break }
            guard bytes[index] == UInt8(ascii: ":") else { return nil }  // also rejects "%zone"
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                if sawDoubleColon { return nil }
                sawDoubleColon = true
                index += 1
                if index == bytes.count { break }
            } else if index == bytes.count {
                return nil  // a trailing single colon
            }
        }
        let total = head.count + tail.count
        if sawDoubleColon ? total > 7 : total != 8 { return nil }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
