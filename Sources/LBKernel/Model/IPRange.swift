/// An inclusive range of addresses of one family, such as `192.168.1.240-192.168.1.250`.
public struct IPRange: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first address of the range.
    public let first: IPAddress
    /// The last address of the range (inclusive).
    public let last: IPAddress

    /// Why a range could not be made.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// An endpoint is not an address.
        case badAddress(String)
        /// The two endpoints are of different families.
        case mixedFamilies(IPAddress, IPAddress)
        /// The first address is after the last one.
        case reversed(IPAddress, IPAddress)
        /// The text is neither `a-b` nor a single address.
        case badSyntax(String)

        /// A message naming the rule broken.
        public var description: String {
            switch self {
            case .badAddress(let text): "'\(text)' is not a valid IP address"
            case .mixedFamilies(let a, let b): "range \(a)-\(b) mixes IPv4 and IPv6"
            case .reversed(let a, let b): "range start \(a) is after range end \(b)"
            case .badSyntax(let text): "'\(text)' is not a range 'first-last'"
            }
        }
    }

    /// Creates a range; throws when the endpoints are of different families or reversed.
    public init(first: IPAddress, last: IPAddress) throws(Problem) {
        guard first.family == last.family else { throw .mixedFamilies(first, last) }
        guard first <= last else { throw .reversed(first, last) }
        self.first = first
        self.last = last
    }

    init(uncheckedFirst first: IPAddress, last: IPAddress) {
        self.first = first
        self.last = last
    }

    /// Parses `first-last`; spaces around `-` are allowed, as in MetalLB.
    public init(parsing text: String) throws(Problem) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .badSyntax(text) }
        let a = parts[0].trimmingSpaces, b = parts[1].trimmingSpaces
        guard let first = IPAddress(a) else { throw .badAddress(a) }
        guard let last = IPAddress(b) else { throw .badAddress(b) }
        try self.init(first: first, last: last)
    }

    /// The address family.
    public var family: IPFamily { first.family }

    /// The number of addresses, saturating at `UInt128.max` for the whole IPv6 space.
    public var count: UInt128 {
        let span = last.value - first.value
        return span == UInt128.max ? span : span + 1
    }

    /// True when `address` lies in the range.
    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address >= first && address <= last
    }

    /// True when the ranges share an address.
    public func overlaps(_ other: IPRange) -> Bool {
        family == other.family && first <= other.last && other.first <= last
    }

    /// The minimal list of prefixes covering exactly this range, in address order.
    public var prefixes: [IPPrefix] {
        var result: [IPPrefix] = []
        let width = family.bitWidth
        var start = first.value
        let end = last.value
        while true {
            // The largest aligned block starting at `start` that does not pass `end`.
            var size = start == 0 ? width : min(width, start.trailingZeroBitCount)
            var blockLast: UInt128
            while true {
                let span: UInt128 = size == 128 ? .max : (UInt128(1) << UInt128(size)) - 1
                let (sum, overflow) = start.addingReportingOverflow(span)
                if !overflow && sum <= end { blockLast = sum; break }
                size -= 1
            }
            result.append(IPPrefix(address: IPAddress(family: family, value: start), length: width - size)!)
            if blockLast >= end { return result }
            start = blockLast + 1
        }
    }

    /// `first-last`, or the single address when both are equal.
    public var description: String { first == last ? first.description : "\(first)-\(last)" }

    /// Orders by first address, then last.
    public static func < (lhs: IPRange, rhs: IPRange) -> Bool { (lhs.first, lhs.last) < (rhs.first, rhs.last) }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
