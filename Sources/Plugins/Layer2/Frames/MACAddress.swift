/// An IEEE 802 MAC address (EUI-48).
public struct MACAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 48 bits, first octet most significant.
    public var rawValue: UInt64

    /// The broadcast address ff:ff:ff:ff:ff:ff.
    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)
    /// The all-zero address (an ARP request's unknown target hardware address).
    public static let zero = MACAddress(rawValue: 0)

    /// Creates an address from its 48 bits; higher bits are dropped.
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    /// Creates an address from exactly 6 octets; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.init(rawValue: bytes.reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-`), case-insensitive.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.init(rawValue: value)
    }

    /// The 6 octets, first on the wire first.
    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * UInt64($0))) } }

    /// True for ff:ff:ff:ff:ff:ff.
    public var isBroadcast: Bool { self == .broadcast }
    /// True when the group bit (the least significant bit of the first octet) is set; broadcast included.
    public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }
    /// True for an individual address that is not all zeros: the only kind a frame may come from.
    public var isUnicast: Bool { !isMulticast && rawValue != 0 }

    /// The Ethernet multicast address an IPv6 multicast address maps to: 33:33 and its last 32 bits (RFC 2464 §7).
    public static func ipv6Multicast(_ address: UInt128) -> MACAddress {
        MACAddress(rawValue: 0x3333_0000_0000 | UInt64(truncatingIfNeeded: address & 0xFFFF_FFFF))
    }

    /// `aa:bb:cc:dd:ee:ff`.
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    /// Orders by the 48-bit value.
    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.rawValue < rhs.rawValue }
}
