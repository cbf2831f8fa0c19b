/// The two IP address families.
public enum IPFamily: String, Hashable, Comparable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// IPv4 (32-bit addresses).
    case ipv4 = "IPv4"
    /// IPv6 (128-bit addresses).
    case ipv6 = "IPv6"

    /// The number of bits in an address of this family.
    public var bitWidth: Int { self == .ipv4 ? 32 : 128 }

    /// The name used in messages (`IPv4`, `IPv6`).
    public var description: String { rawValue }

    /// IPv4 sorts before IPv6.
    public static func < (lhs: IPFamily, rhs: IPFamily) -> Bool { lhs == .ipv4 && rhs == .ipv6 }
}

/// An IPv4 or IPv6 address.
///
/// Addresses compare by family first (every IPv4 address sorts before every IPv6 address), then numerically.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// An IPv4 address.
    case v4(IPv4Address)
    /// An IPv6 address.
    case v6(IPv6Address)

    /// Parses either family; IPv6 text is recognised by its colon. Zone ids and leading zeros are rejected.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let address = IPv6Address(text) else { return nil }
            self = .v6(address)
        } else {
            guard let address = IPv4Address(text) else { return nil }
            self = .v4(address)
        }
    }

    /// Builds an address of `family` from its numeric value (the low 32 bits for IPv4).
    public init(family: IPFamily, value: UInt128) {
        switch family {
        case .ipv4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: value)))
        case .ipv6: self = .v6(IPv6Address(value))
        }
    }

    /// The address family.
    public var family: IPFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The numeric value, widened to 128 bits.
    public var value: UInt128 {
        switch self {
        case .v4(let a): UInt128(a.value)
        case .v6(let a): a.value
        }
    }

    /// The canonical text form (dotted quad, or RFC 5952 for IPv6).
    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    /// The largest value an address of this family can hold.
    public static func maxValue(_ family: IPFamily) -> UInt128 {
        family == .ipv4 ? UInt128(UInt32.max) : UInt128.max
    }

    /// The address `offset` steps further, or nil when that leaves the family's address space.
    public func advanced(by offset: Int) -> IPAddress? {
        if offset >= 0 {
            let step = UInt128(offset)
            guard IPAddress.maxValue(family) - value >= step else { return nil }
            return IPAddress(family: family, value: value + step)
        }
        let step = UInt128(offset.magnitude)
        guard value >= step else { return nil }
        return IPAddress(family: family, value: value - step)
    }

    /// The next address, or nil after the last one of the family.
    public var next: IPAddress? { advanced(by: 1) }

    /// The previous address, or nil before the first one of the family.
    public var previous: IPAddress? { advanced(by: -1) }

    /// True for IPv4 addresses ending in `.0` or `.255`, which MetalLB's `avoidBuggyIPs` never hands out.
    public var isBuggyIPv4: Bool {
        guard case .v4(let a) = self else { return false }
        let last = a.value & 0xFF
        return last == 0 || last == 255
    }

    /// IPv4 before IPv6, then numeric order.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        return lhs.value < rhs.value
    }
}

extension IPAddress: Codable {
    /// Decodes an address from its text form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an IPv4 or IPv6 address")
        }
        self = address
    }

    /// Encodes the canonical text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
