/// Decodes `Decodable` values from ``YAMLNode``s strictly: unknown keys, wrong shapes and bad scalars are
/// errors that name the file, line, key path and the rule broken.
///
/// Unknown keys are found through the coding keys themselves: a key the type's `CodingKeys` cannot represent is
/// unknown. That is exact for synthesized and hand-written `CodingKeys` enums; a type that decodes a free-form
/// map (`[String: String]`) accepts every key, as it should.
public struct StrictYAMLDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// Decodes `type` from `node`.
    ///
    /// - Throws: ``ConfigError`` with one problem per unknown key in the first mapping that has any, or the first
    ///   other problem found.
    public func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode) throws(ConfigError) -> T {
        do {
            return try T(from: NodeDecoder(node: node, codingPath: []))
        } catch let error as ConfigError {
            throw error
        } catch let problem as ConfigProblem {
            throw ConfigError([problem])
        } catch let error as DecodingError {
            throw ConfigError([StrictYAMLDecoder.problem(from: error, root: node)])
        } catch {
            throw ConfigError([ConfigProblem(.invalidValue, "\(error)", location: node.location)])
        }
    }

    /// Renders a coding path as `pools[0].addresses[1]`.
    public static func pathString(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    static func problem(from error: DecodingError, root: YAMLNode) -> ConfigProblem {
        switch error {
        case .dataCorrupted(let context):
            return ConfigProblem(.invalidValue, context.debugDescription,
                                 field: pathString(context.codingPath), location: locate(context.codingPath, in: root))
        case .keyNotFound(let key, let context):
            let field = pathString(context.codingPath + [key])
            return ConfigProblem(.missingKey, "required key '\(key.stringValue)' is missing",
                                 field: field, location: locate(context.codingPath, in: root))
        case .typeMismatch(let type, let context):
            return ConfigProblem(.wrongType, "expected \(typeName(type)): \(context.debugDescription)",
                                 field: pathString(context.codingPath), location: locate(context.codingPath, in: root))
        case .valueNotFound(let type, let context):
            return ConfigProblem(.missingKey, "expected \(typeName(type)), found nothing",
                                 field: pathString(context.codingPath), location: locate(context.codingPath, in: root))
        @unknown default:
            return ConfigProblem(.invalidValue, "\(error)", location: root.location)
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Bool.Type: "true or false"
        case is any FixedWidthInteger.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default: "a value of type \(type)"
        }
    }

    /// Finds the node at `path` (as far as it exists) and returns its location.
    static func locate(_ path: [any CodingKey], in root: YAMLNode) -> SourceLocation {
        var node = root
        for key in path {
            if let index = key.intValue, let items = node.items, index < items.count {
                node = items[index]
            } else if let entry = node.entry(key.stringValue) {
                node = entry.value
            } else {
                break
            }
        }
        return node.location
    }
}

/// A coding key for any string or index.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

struct NodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func fieldName(_ extra: (any CodingKey)? = nil) -> String? {
        let path = StrictYAMLDecoder.pathString(codingPath + (extra.map { [$0] } ?? []))
        return path.isEmpty ? nil : path
    }

    func wrongShape(_ expected: String) -> ConfigProblem {
        ConfigProblem(.wrongType, "expected \(expected), found \(node.shapeName)", field: fieldName(),
                      location: node.location)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let entries = node.entries else {
            if case .null = node.value { return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self, entries: [])) }
            throw wrongShape("a mapping")
        }
        let unknown = entries.filter { Key(stringValue: $0.key) == nil }
        if !unknown.isEmpty {
            let known = knownKeys(Key.self)
            throw ConfigError(unknown.map { entry in
                var message = "unknown key '\(entry.key)'"
                if !known.isEmpty { message += " (allowed here: \(known.joined(separator: ", ")))" }
                message += "; if it belongs to another object, check its indentation"
                return ConfigProblem(.unknownKey, message, field: fieldName(AnyCodingKey(stringValue: entry.key)),
                                     location: entry.keyLocation)
            })
        }
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self, entries: entries))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if case .null = node.value { return UnkeyedNodeContainer(decoder: self, items: []) }
        guard let items = node.items else { throw wrongShape("a list") }
        return UnkeyedNodeContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeContainer(decoder: self) }

    private func knownKeys<Key: CodingKey>(_ type: Key.Type) -> [String] {
        guard let iterable = type as? any CaseIterable.Type else { return [] }
        return iterable.allCaseNames
    }
}

extension CaseIterable {
    static var allCaseNames: [String] {
        allCases.compactMap { ($0 as? any CodingKey)?.stringValue }
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let entries: [YAMLNode.Entry]
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { entries.contains { $0.key == key.stringValue } }

    private func child(_ key: Key) throws -> NodeDecoder {
        guard let entry = entries.first(where: { $0.key == key.stringValue }) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return NodeDecoder(node: entry.value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let entry = entries.first(where: { $0.key == key.stringValue }) else { return true }
        if case .null = entry.value.value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let child = try child(key)
        if case .null = child.node.value, !(T.self is any OptionalProtocol.Type) {
            throw ConfigProblem(.missingKey, "'\(key.stringValue)' has no value", field: child.fieldName(),
                                location: child.node.location)
        }
        return try SingleNodeContainer(decoder: child).decode(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        if try decodeNil(forKey: key) { return nil }
        return try decode(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

protocol OptionalProtocol {}
extension Optional: OptionalProtocol {}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [YAMLNode]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: NodeDecoder, items: [YAMLNode]) {
        self.decoder = decoder
        self.items = items
    }

    private mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "end of list"))
        }
        defer { currentIndex += 1 }
        return NodeDecoder(node: items[currentIndex], codingPath: codingPath + [AnyCodingKey(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return true }
        if case .null = items[currentIndex].value { currentIndex += 1; return true }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try SingleNodeContainer(decoder: try next()).decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var node: YAMLNode { decoder.node }

    func decodeNil() -> Bool {
        if case .null = node.value { return true }
        return false
    }

    private func text(_ expected: String) throws -> String {
        switch node.value {
        case .scalar(let text, _): return text
        default: throw decoder.wrongShape(expected)
        }
    }

    private func plain(_ expected: String) throws -> String {
        switch node.value {
        case .scalar(let text, quoted: false): return text
        default: throw decoder.wrongShape(expected)
        }
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        switch try plain("true or false").lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw decoder.wrongShape("true or false")
        }
    }

    func decode(_ type: String.Type) throws -> String { try text("text") }

    func decode(_ type: Double.Type) throws -> Double {
        guard let value = Double(try plain("a number")) else { throw decoder.wrongShape("a number") }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let text = try plain("a whole number")
        guard let value = T(text) else {
            if let wide = Int64(text) {
                throw ConfigProblem(.invalidValue, "\(wide) is out of range (\(T.min)...\(T.max))",
                                    field: decoder.fieldName(), location: node.location)
            }
            throw decoder.wrongShape("a whole number")
        }
        return value
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decode(String.self) as! T
        case is Bool.Type: return try decode(Bool.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is UInt16.Type: return try decode(UInt16.self) as! T
        case is UInt32.Type: return try decode(UInt32.self) as! T
        case is Int64.Type: return try decode(Int64.self) as! T
        case is UInt64.Type: return try decode(UInt64.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        default:
            do {
                return try T(from: decoder)
            } catch let error as DecodingError {
                // Attach this node's location; the path is already in the error's context.
                if case .dataCorrupted(let context) = error, context.codingPath.count <= codingPath.count {
                    throw ConfigProblem(.invalidValue, context.debugDescription, field: decoder.fieldName(),
                                        location: node.location)
                }
                throw error
            }
        }
    }
}
