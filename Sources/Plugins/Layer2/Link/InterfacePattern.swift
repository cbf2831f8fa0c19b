/// A regular expression that names interfaces, such as the exclusion list's `^docker.*`.
///
/// Matching follows Go's `regexp.MatchString`, as MetalLB does: the pattern matches when it is found anywhere in
/// the name, so anchor it (`^veth.*`, `^lo$`) to match whole names. The syntax is Swift `Regex`'s, which accepts
/// the RE2 patterns MetalLB users write.
public struct InterfacePattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written in the configuration.
    public let pattern: String

    /// Validates `pattern`; throws an error naming the pattern and why it does not compile.
    public init(_ pattern: String) throws(InterfacePatternError) {
        do {
            _ = try Regex(pattern)
        } catch {
            throw InterfacePatternError(pattern: pattern, reason: "\(error)")
        }
        self.pattern = pattern
    }

    /// Whether the pattern is found in `name`.
    public func matches(_ name: String) -> Bool {
        // The pattern compiled in init; a Regex is not Sendable, so it is built again here (a few per scan).
        guard let regex = try? Regex(pattern) else { return false }
        return name.contains(regex)
    }

    /// The pattern.
    public var description: String { pattern }
}

/// An interface pattern that is not a valid regular expression.
public struct InterfacePatternError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written.
    public var pattern: String
    /// The regular expression parser's complaint.
    public var reason: String

    /// Creates the error.
    public init(pattern: String, reason: String) {
        self.pattern = pattern
        self.reason = reason
    }

    /// `interface pattern "<pattern>" is not a valid regular expression: <reason>`.
    public var description: String { "interface pattern \"\(pattern)\" is not a valid regular expression: \(reason)" }
}
