/// A CIDR prefix such as `10.0.0.0/24` or `2001:db8::/64`.
///
/// The stored address is always the network address: host bits given in the text are cleared, as Go's
/// `net.ParseCIDR` (and so MetalLB) does; `hadHostBits` tells a caller that wants to warn about it.
public struct IPPrefix: Hashable, Comparable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The network address (host bits zero).
    public let network: IPAddress
    /// The prefix length, 0 through 32 (IPv4) or 128 (IPv6).
    public let length: Int
    /// True when the parsed text had host bits set (`10.0.0.1/24`).
    public let hadHostBits: Bool

    /// Creates the prefix of `length` bits containing `address`.
    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.family.bitWidth else { return nil }
        let mask = IPPrefix.mask(family: address.family, length: length)
        network = IPAddress(family: address.family, value: address.value & mask)
        self.length = length
        hadHostBits = network != address
    }

    /// Parses `address/length`; returns nil for bad addresses, bad lengths (`/33`), spaces or a missing length.
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let lengthText = text[text.index(after: slash)...]
        guard let address = IPAddress(String(text[..<slash])),
              !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy(\.isASCIIDigit),
              !(lengthText.count > 1 && lengthText.first == "0"),
              let length = Int(lengthText)
        else { return nil }
        self.init(address: address, length: length)
    }

    /// The address family.
    public var family: IPFamily { network.family }

    /// The first address (the network address).
    public var first: IPAddress { network }

    /// The last address (the broadcast address for IPv4).
    public var last: IPAddress {
        IPAddress(family: family, value: network.value | ~IPPrefix.mask(family: family, length: length)
                  & IPAddress.maxValue(family))
    }

    /// The range this prefix covers.
    public var range: IPRange { IPRange(uncheckedFirst: first, last: last) }

    /// The number of addresses, saturating at `UInt128.max` for `::/0`.
    public var count: UInt128 { range.count }

    /// True when `address` lies inside this prefix.
    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.value & IPPrefix.mask(family: family, length: length) == network.value
    }

    /// True when the two prefixes share any address (one contains the other).
    public func overlaps(_ other: IPPrefix) -> Bool {
        contains(other.network) || other.contains(network)
    }

    /// `network/length` in canonical form.
    public var description: String { "\(network)/\(length)" }

    /// Orders by network address, then by length.
    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        (lhs.network, lhs.length) < (rhs.network, rhs.length)
    }

    /// The network mask of `length` bits for `family`, as a 128-bit value.
    static func mask(family: IPFamily, length: Int) -> UInt128 {
        let width = family.bitWidth
        if length == 0 { return 0 }
        let ones = IPAddress.maxValue(family)
        return (ones << UInt128(width - length)) & ones
    }

    /// Equality ignores `hadHostBits`: two prefixes are equal when they cover the same addresses.
    public static func == (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        lhs.network == rhs.network && lhs.length == rhs.length
    }

    /// Hashes the network and length.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(network)
        hasher.combine(length)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
