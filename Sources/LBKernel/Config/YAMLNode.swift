internal import Yams

/// A YAML value with the place it was written, so errors can name file, line and key.
///
/// lbd reads every configuration file into these nodes first (through Yams), then decodes them with
/// ``StrictYAMLDecoder``, which rejects unknown keys.
public struct YAMLNode: Hashable, Sendable {
    /// The value.
    public var value: Value
    /// Where the value starts.
    public var location: SourceLocation

    /// The shapes a YAML value takes.
    public indirect enum Value: Hashable, Sendable {
        /// A scalar, as written; `quoted` is true for quoted strings (never null, bool or number).
        case scalar(String, quoted: Bool)
        /// A mapping with its keys in document order.
        case mapping([Entry])
        /// A sequence.
        case sequence([YAMLNode])
        /// An explicit or empty null (`key:` with nothing after it, `~`, `null`).
        case null
    }

    /// One key/value pair of a mapping.
    public struct Entry: Hashable, Sendable {
        /// The key text.
        public var key: String
        /// Where the key is written.
        public var keyLocation: SourceLocation
        /// The value.
        public var value: YAMLNode
    }

    /// Creates a node.
    public init(_ value: Value, location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The entries of a mapping, or nil.
    public var entries: [Entry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    /// The value for `key` in a mapping, or nil.
    public subscript(key: String) -> YAMLNode? { entries?.first { $0.key == key }?.value }

    /// The entry for `key` in a mapping, or nil.
    public func entry(_ key: String) -> Entry? { entries?.first { $0.key == key } }

    /// The scalar text, or nil.
    public var scalar: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    /// The items of a sequence, or nil.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// A short name of the node's shape for messages: `a mapping`, `a list`, `a string`, `nothing`.
    public var shapeName: String {
        switch value {
        case .scalar(let text, let quoted): quoted ? "the string \"\(text)\"" : "the value '\(text)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .null: "nothing (null)"
        }
    }

    /// Parses every document of a YAML text; an empty document is skipped.
    ///
    /// - Throws: a ``ConfigProblem`` with code `.syntax` and the line and column Yams reported.
    public static func documents(in text: String, file: String) throws(ConfigProblem) -> [YAMLNode] {
        var result: [YAMLNode] = []
        do {
            var sequence = try Yams.compose_all(yaml: text)
            while let node = sequence.next() {
                let converted = try convert(node, file: file)
                if case .null = converted.value { continue }
                result.append(converted)
            }
            if let error = sequence.error { throw error }
        } catch let problem as ConfigProblem {
            throw problem
        } catch let error as YamlError {
            throw syntaxProblem(error, file: file, text: text)
        } catch {
            throw ConfigProblem(.syntax, "cannot parse YAML: \(error)", location: SourceLocation(file: file))
        }
        return result
    }

    private static func syntaxProblem(_ error: YamlError, file: String, text: String) -> ConfigProblem {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            // Yams marks the mapping; point at the second occurrence of the key when it can be found.
            let line = duplicates.first.flatMap { secondOccurrence(of: $0, in: text, from: context.mark.line) }
            return ConfigProblem(.duplicate, "key \(keys) appears twice in the same mapping",
                                 location: SourceLocation(file: file, line: line ?? context.mark.line,
                                                          column: line == nil ? context.mark.column : nil))
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return ConfigProblem(.syntax, "invalid YAML: \(detail)",
                                 location: SourceLocation(file: file, line: mark.line, column: mark.column))
        default:
            return ConfigProblem(.syntax, "invalid YAML: \(error)", location: SourceLocation(file: file))
        }
    }

    /// The line of the second `key:` at the indentation of the first one, searching from `line` (1-based).
    private static func secondOccurrence(of key: String, in text: String, from line: Int) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var indentation: Int?
        for index in max(0, line - 1)..<lines.count {
            var body = Substring(lines[index])
            let indent = body.prefix { $0 == " " }.count
            body = body.dropFirst(indent)
            if body.hasPrefix("- ") { body = body.dropFirst(2) }
            guard body.hasPrefix(key + ":") else { continue }
            if let first = indentation {
                if first == indent { return index + 1 }
            } else {
                indentation = indent
            }
        }
        return nil
    }

    private static func location(_ mark: Mark?, file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line, column: mark?.column)
    }

    private static func convert(_ node: Yams.Node, file: String) throws -> YAMLNode {
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                || scalar.style == .literal || scalar.style == .folded
            if !quoted && isNull(scalar.string) {
                return YAMLNode(.null, location: location(scalar.mark, file: file))
            }
            return YAMLNode(.scalar(scalar.string, quoted: quoted), location: location(scalar.mark, file: file))
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, value) in mapping {
                let keyNode = try convert(key, file: file)
                guard let keyText = keyNode.scalar else {
                    throw ConfigProblem(.wrongType, "a mapping key must be plain text", location: keyNode.location)
                }
                if entries.contains(where: { $0.key == keyText }) {
                    throw ConfigProblem(.duplicate, "key '\(keyText)' appears twice in the same mapping",
                                        location: keyNode.location)
                }
                entries.append(Entry(key: keyText, keyLocation: keyNode.location, value: try convert(value, file: file)))
            }
            return YAMLNode(.mapping(entries), location: location(mapping.mark, file: file))
        case .sequence(let sequence):
            return YAMLNode(.sequence(try sequence.map { try convert($0, file: file) }),
                            location: location(sequence.mark, file: file))
        case .alias(let alias):
            throw ConfigProblem(.syntax, "YAML aliases (*\(alias.anchor.rawValue)) are not supported in lbd configuration",
                                location: location(alias.mark, file: file))
        }
    }

    private static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }
}
