/// A BGP community value: standard (RFC 1997, `asn:value`) or large (RFC 8092, `large:a:b:c`).
public enum BGPCommunity: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// A standard community: two 16-bit halves.
    case standard(UInt16, UInt16)
    /// A large community: three 32-bit parts.
    case large(UInt32, UInt32, UInt32)

    /// Why a community string could not be parsed.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The text as written.
        public var text: String
        /// What is wrong with it.
        public var reason: String
        /// `invalid community '<text>': <reason>`.
        public var description: String { "invalid community '\(text)': \(reason)" }
    }

    /// Parses `asn:value` (each 0–65535) or `large:a:b:c` (each 0–4294967295).
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.first == "large" {
            guard parts.count == 4 else {
                throw ParseError(text: text, reason: "a large community is large:<global admin>:<data 1>:<data 2>")
            }
            var values: [UInt32] = []
            for part in parts.dropFirst() {
                guard let v = BGPCommunity.number(part, as: UInt32.self) else {
                    throw ParseError(text: text, reason: "'\(part)' is not a number from 0 to 4294967295")
                }
                values.append(v)
            }
            self = .large(values[0], values[1], values[2])
            return
        }
        guard parts.count == 2 else {
            throw ParseError(text: text, reason: "a community is <asn>:<value> (16 bits each) or large:<a>:<b>:<c>")
        }
        guard let high = BGPCommunity.number(parts[0], as: UInt16.self) else {
            throw ParseError(text: text, reason: "'\(parts[0])' is not a number from 0 to 65535")
        }
        guard let low = BGPCommunity.number(parts[1], as: UInt16.self) else {
            throw ParseError(text: text, reason: "'\(parts[1])' is not a number from 0 to 65535")
        }
        self = .standard(high, low)
    }

    /// A decimal number of ASCII digits only, as Go's `strconv.ParseUint` reads it (Swift's `UInt16("+1")` accepts a
    /// sign, which MetalLB rejects).
    private static func number<T: FixedWidthInteger>(_ text: Substring, as type: T.Type) -> T? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return T(text)
    }

    /// The well-known communities by the names routers print (RFC 1997 §2, RFC 3765, RFC 7999, RFC 8326); a
    /// community alias of the same name takes precedence.
    public static let wellKnown: [String: BGPCommunity] = [
        "no-export": .standard(0xFFFF, 0xFF01),
        "no-advertise": .standard(0xFFFF, 0xFF02),
        "no-export-subconfed": .standard(0xFFFF, 0xFF03),
        "nopeer": .standard(0xFFFF, 0xFF04),
        "graceful-shutdown": .standard(0xFFFF, 0x0000),
        "blackhole": .standard(0xFFFF, 0x029A),
    ]

    /// True for a large community.
    public var isLarge: Bool { if case .large = self { true } else { false } }

    /// `asn:value` or `large:a:b:c`.
    public var description: String {
        switch self {
        case .standard(let a, let b): "\(a):\(b)"
        case .large(let a, let b, let c): "large:\(a):\(b):\(c)"
        }
    }

    /// Standard before large, then numeric.
    public static func < (lhs: BGPCommunity, rhs: BGPCommunity) -> Bool {
        switch (lhs, rhs) {
        case let (.standard(a, b), .standard(c, d)): (a, b) < (c, d)
        case let (.large(a, b, c), .large(d, e, f)): (a, b, c) < (d, e, f)
        case (.standard, .large): true
        case (.large, .standard): false
        }
    }
}

extension BGPCommunity: Codable {
    /// Decodes the text form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { self = try BGPCommunity(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A named community value that advertisements may use instead of the number (MetalLB's `Community` CR entry).
public struct CommunityAlias: Hashable, Sendable, Codable {
    /// The alias, such as `no-export`.
    public var name: String
    /// The value it stands for.
    public var value: BGPCommunity

    /// Creates an alias.
    public init(name: String, value: BGPCommunity) {
        self.name = name
        self.value = value
    }
}
