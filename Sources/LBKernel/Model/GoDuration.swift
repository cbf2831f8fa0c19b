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

    /// Parses Go duration text; returns nil when it is not one or when it does not fit in 64 bits of nanoseconds.
    ///
    /// Follows Go's `time.ParseDuration` digit for digit (including its float arithmetic for fractions, so
    /// `1.001s` is exactly 1001 ms); a bare number of seconds is lbd's addition.
    public init?(_ text: String) {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" { negative = rest.first == "-"; rest = rest.dropFirst() }
        if rest.isEmpty { return nil }
        if rest.allSatisfy(\.isASCIIDigit) {
            guard let seconds = Int64(rest),
                  case let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000), !overflow
            else { return nil }
            self.init(nanoseconds: negative ? -ns : ns)
            return
        }
        var total: UInt64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix(while: \.isASCIIDigit)
            rest = rest.dropFirst(whole.count)
            var fraction: UInt64 = 0, scale: Double = 1, fractionDigits = 0
            if rest.first == "." {
                rest = rest.dropFirst()
                var overflow = false
                for digit in rest.prefix(while: \.isASCIIDigit).utf8 {
                    fractionDigits += 1
                    // Go's leadingFraction: later digits are dropped once the value would overflow.
                    if overflow { continue }
                    let (times10, o1) = fraction.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                    if o1 || o2 || next > 1 << 63 { overflow = true; continue }
                    fraction = next
                    scale *= 10
                }
                rest = rest.dropFirst(fractionDigits)
            }
            if whole.isEmpty && fractionDigits == 0 { return nil }  // "." or a unit without a number
            let unitText = rest.prefix { !$0.isASCIIDigit && $0 != "." }
            rest = rest.dropFirst(unitText.count)
            guard let unit = GoDuration.units[String(unitText)], let value = UInt64(whole.isEmpty ? "0" : whole),
                  case let (product, o1) = value.multipliedReportingOverflow(by: unit), !o1,
                  case let (sum, o2) = total.addingReportingOverflow(product), !o2
            else { return nil }
            total = sum
            if fraction > 0 {
                let (withFraction, o3) = total.addingReportingOverflow(UInt64(Double(fraction) * (Double(unit) / scale)))
                if o3 { return nil }
                total = withFraction
            }
            if total > 1 << 63 { return nil }
        }
        if total == 1 << 63 {
            guard negative else { return nil }
            self.init(nanoseconds: .min)
            return
        }
        self.init(nanoseconds: negative ? -Int64(total) : Int64(total))
    }

    /// Go's units, in nanoseconds.
    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// The duration in whole seconds, rounded to the nearest second with halves away from zero (Go's
    /// `Duration.Round(time.Second)`).
    public var roundedSeconds: Int64 {
        let (seconds, remainder) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if remainder >= 500_000_000 { return seconds + 1 }
        if remainder <= -500_000_000 { return seconds - 1 }
        return seconds
    }

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
        if let seconds = try? container.decode(Int64.self) {
            guard case let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000), !overflow else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(seconds)s is too long a duration")
            }
            self.init(nanoseconds: ns)
            return
        }
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
