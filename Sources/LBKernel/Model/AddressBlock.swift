/// One entry of a pool's `addresses`: a CIDR prefix (`10.0.0.0/24`) or an inclusive range (`10.0.0.10-10.0.0.20`).
public enum AddressBlock: Hashable, Sendable, CustomStringConvertible {
    /// A CIDR prefix.
    case prefix(IPPrefix)
    /// An inclusive range of addresses.
    case range(IPRange)

    /// Why an entry could not be parsed.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The entry as written.
        public var text: String
        /// What is wrong with it.
        public var reason: String
        /// `invalid address entry '<text>': <reason>`.
        public var description: String { "invalid address entry '\(text)': \(reason)" }
    }

    /// Parses a CIDR or a range with MetalLB's rules: spaces around `-` are allowed, anything else is not.
    public init(parsing text: String) throws(ParseError) {
        if text.contains("-") {
            do {
                self = .range(try IPRange(parsing: text))
            } catch {
                throw ParseError(text: text, reason: error.description)
            }
            return
        }
        guard text.contains("/") else {
            throw ParseError(text: text, reason: "expected a CIDR such as 10.0.0.0/24 or a range such as 10.0.0.1-10.0.0.9")
        }
        guard let prefix = IPPrefix(text) else {
            let parts = text.split(separator: "/", maxSplits: 1)
            if let first = parts.first, IPAddress(String(first)) == nil {
                throw ParseError(text: text, reason: "'\(first)' is not a valid IP address")
            }
            throw ParseError(text: text, reason: "the prefix length must be a number from 0 to 32 (IPv4) or 128 (IPv6)")
        }
        self = .prefix(prefix)
    }

    /// The range of addresses the entry covers.
    public var range: IPRange {
        switch self {
        case .prefix(let p): p.range
        case .range(let r): r
        }
    }

    /// The entry as the minimal set of CIDR prefixes.
    public var prefixes: [IPPrefix] {
        switch self {
        case .prefix(let p): [p]
        case .range(let r): r.prefixes
        }
    }

    /// The address family.
    public var family: IPFamily { range.family }

    /// The canonical text form.
    public var description: String {
        switch self {
        case .prefix(let p): p.description
        case .range(let r): "\(r.first)-\(r.last)"
        }
    }
}

extension AddressBlock: Codable {
    /// Decodes an entry from its text form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try AddressBlock(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the canonical text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
