import LBKernel

/// The Internet checksum (RFC 1071) and the ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1,
/// RFC 4443 §2.3).
enum InternetChecksum {
    /// The 16-bit one's complement of the one's complement sum of `chunks`, as if concatenated.
    ///
    /// Every chunk but the last must have an even length (the pseudo-header's parts do).
    static func checksum(_ chunks: [[UInt8]]) -> UInt16 {
        var sum: UInt64 = 0
        for chunk in chunks {
            var index = 0
            while index + 1 < chunk.count {
                sum += UInt64(chunk[index]) << 8 | UInt64(chunk[index + 1])
                index += 2
            }
            if index < chunk.count { sum += UInt64(chunk[index]) << 8 }  // RFC 1071 §4.1: pad an odd octet
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    /// The checksum field for the ICMPv6 `message` (whose own checksum field is zero) from `source` to `destination`.
    ///
    /// The pseudo-header (RFC 8200 §8.1): source, destination, upper-layer length (32 bits), three zero octets and
    /// next header 58.
    static func icmpv6(message: [UInt8], source: IPv6Address, destination: IPv6Address) -> UInt16 {
        var pseudo = source.bytes + destination.bytes
        pseudo.append(uint32: UInt32(truncatingIfNeeded: message.count))
        pseudo += [0, 0, 0, IPv6Header.nextHeaderICMPv6]
        return checksum([pseudo, message])
    }

    /// Whether `message` (checksum field included) verifies: the sum over pseudo-header and message is all ones.
    static func verifiesICMPv6(message: [UInt8], source: IPv6Address, destination: IPv6Address) -> Bool {
        icmpv6(message: message, source: source, destination: destination) == 0
    }
}
