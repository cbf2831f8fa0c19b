/// An IPv4 address as a 32-bit value.
///
/// Text form is the dotted quad of RFC 791 with four decimal parts, each 0–255 without leading zeros
/// (`010.0.0.1` is rejected because its meaning differs between octal and decimal readers).
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a big-endian 32-bit number (`10.0.0.1` is `0x0A00_0001`).
    public var value: UInt32

    /// Creates an address from its 32-bit value.
    public init(_ value: UInt32) { self.value = value }

    /// Creates an address from its four octets, most significant first.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses a dotted quad; returns nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let value = IPv4Address.parse(Array(text.utf8)[...]) else { return nil }
        self.value = value
    }

    /// The four octets, most significant first.
    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// The dotted-quad text form.
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    /// Orders addresses numerically.
    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    /// Parses a dotted quad from UTF-8 bytes (also used for the IPv4 tail of an IPv6 address).
    static func parse(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var index = bytes.startIndex
        while true {
            var digits = 0
            var part: UInt32 = 0
            let start = index
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                part = part * 10 + UInt32(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
                if digits > 3 { return nil }
            }
            if digits == 0 || part > 255 { return nil }
            if digits > 1 && bytes[start] == UInt8(ascii: "0") { return nil }
            result = result << 8 | part
            parts += 1
            if parts == 4 { return index == bytes.endIndex ? result : nil }
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") else { return nil }
            index += 1
        }
    }
}
