/// A duration written the way Go's `time.ParseDuration` (and so MetalLB) reads it: `90s`, `1m30s`, `1.5h`, `500ms`.
///
/// A bare number is read as seconds. Units: `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`.
public struct GoDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The duration in nanoseconds.
    public var nanoseconds: Int64

    /// Creates a duration of `nanoseconds`.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Creates a duration of whole `seconds`.
    public init(seconds: Int64) { nanoseconds = seconds * 1_000_000_000 }

    /// Parses Go duration text; returns nil when it is not one.
    public init?(_ text: String) {
        if let seconds = Int64(text) { self.init(seconds: seconds); return }
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" { negative = rest.first == "-"; rest = rest.dropFirst() }
        if rest == "0" { self.init(nanoseconds: 0); return }
        if rest.isEmpty { return nil }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCIIDigit || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isASCIIDigit && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
        }
        guard total < 9.2e18 else { return nil }
        self.init(nanoseconds: Int64(total) * (negative ? -1 : 1))
    }

    /// The duration in seconds, rounded to the nearest second as MetalLB rounds hold times.
    public var roundedSeconds: Int64 { (nanoseconds + 500_000_000) / 1_000_000_000 }

    /// The duration as a Swift `Duration`.
    public var duration: Duration { .nanoseconds(nanoseconds) }

    /// A compact Go-style text form (`90s`, `1m30s`, `500ms`).
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        if nanoseconds % 1_000_000_000 != 0 {
            if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
            return "\(nanoseconds)ns"
        }
        var seconds = nanoseconds / 1_000_000_000
        var text = ""
        if seconds >= 3600 { text += "\(seconds / 3600)h"; seconds %= 3600 }
        if seconds >= 60 { text += "\(seconds / 60)m"; seconds %= 60 }
        if seconds > 0 || text.isEmpty { text += "\(seconds)s" }
        return text
    }

    /// Orders by length.
    public static func < (lhs: GoDuration, rhs: GoDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

extension GoDuration: Codable {
    /// Decodes Go duration text or a number of seconds.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Int64.self) { self.init(seconds: seconds); return }
        let text = try container.decode(String.self)
        guard let value = GoDuration(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a duration (examples: 90s, 1m30s, 500ms)")
        }
        self = value
    }

    /// Encodes the compact text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
