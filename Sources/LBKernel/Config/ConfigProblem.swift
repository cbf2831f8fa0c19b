/// Where something was written: a file, and a line and column in it (1-based).
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The file's path as the user gave it.
    public var file: String
    /// The line (1-based), or nil when unknown.
    public var line: Int?
    /// The column (1-based), or nil when unknown.
    public var column: Int?

    /// Creates a location.
    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, leaving out what is unknown.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let line, line > 0, let column { text += ":\(column)" }
        return text
    }
}

/// One problem with configuration: where it is, which object and field, and which rule it broke.
///
/// Rendered as one line: `file:line:col: object: field: message`, so `lbd check` prints one line per problem.
public struct ConfigProblem: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code for the rule broken.
    public var code: Code
    /// Where the problem is, when known.
    public var location: SourceLocation?
    /// The object, such as `IPAddressPool "default"` or `pool "default"`, when known.
    public var object: String?
    /// The field path, such as `spec.addresses[1]`, when known.
    public var field: String?
    /// What is wrong and, where it helps, how to fix it.
    public var message: String

    /// Creates a problem.
    public init(_ code: Code, _ message: String, object: String? = nil, field: String? = nil,
                location: SourceLocation? = nil) {
        self.code = code
        self.message = message
        self.object = object
        self.field = field
        self.location = location
    }

    /// The rules a configuration can break.
    public enum Code: String, Hashable, Sendable, Codable, CaseIterable {
        /// The text is not YAML.
        case syntax
        /// A key the schema does not know (often a key indented at the wrong level).
        case unknownKey
        /// A required key is missing.
        case missingKey
        /// A value has the wrong type (a list where a map belongs, text where a number belongs, …).
        case wrongType
        /// A value is of the right type but not allowed (a bad address, an out-of-range number, …).
        case invalidValue
        /// Two objects have the same name (or are identical where that is forbidden).
        case duplicate
        /// Two address entries overlap.
        case overlap
        /// A name refers to an object that does not exist.
        case unknownReference
        /// Two settings contradict each other.
        case conflict
        /// The document's kind or apiVersion is not one lbd reads.
        case unsupportedDocument
        /// A file could not be read.
        case io
    }

    /// One line: `location: object: field: message`.
    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) }
        if let object { parts.append(object) }
        if let field { parts.append(field) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// A configuration that was rejected as a whole, with every problem found.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The problems, in the order found.
    public var problems: [ConfigProblem]

    /// Creates an error from problems (at least one).
    public init(_ problems: [ConfigProblem]) {
        precondition(!problems.isEmpty, "a ConfigError needs at least one problem")
        self.problems = problems
    }

    /// One line per problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
