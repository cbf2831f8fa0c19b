// An object kept whole as JSON, for kinds lbd hands on to the MetalLB importer (the `metallb.io` resources and
// the legacy ConfigMap) rather than reading field by field.
public import Foundation

/// Any JSON value.
public indirect enum JSONValue: Hashable, Sendable, Codable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes any JSON value; integers stay integers.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Int64.self) { self = .integer(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Encodes the value.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .integer(let value): try c.encode(value)
        case .number(let value): try c.encode(value)
        case .string(let value): try c.encode(value)
        case .array(let value): try c.encode(value)
        case .object(let value): try c.encode(value)
        }
    }
}

/// An object kept whole: its metadata for the informer's bookkeeping, and its JSON for the MetalLB importer.
///
/// Use it for the `metallb.io` resources and the legacy ConfigMap; ``MetalLBObjects`` takes their ``json``.
public struct RawObject: KubeObject, Hashable {
    /// Used in decoding problems: the real kind is in ``kind``.
    public static let kind = "object"
    /// The metadata.
    public var metadata: ObjectMeta
    /// The object's `apiVersion`, or nil.
    public var apiVersion: String?
    /// The object's `kind`, or nil.
    public var kind: String?
    /// The whole object.
    public var value: JSONValue

    private struct Envelope: Decodable {
        var apiVersion: String?
        var kind: String?
        var metadata: ObjectMeta
    }

    /// Decodes the envelope (apiVersion, kind, metadata) and keeps the whole object.
    public init(from decoder: any Decoder) throws {
        let envelope = try Envelope(from: decoder)
        metadata = envelope.metadata
        apiVersion = envelope.apiVersion
        kind = envelope.kind
        value = try JSONValue(from: decoder)
    }

    /// The object as JSON text, pretty-printed with sorted keys, so problems carry useful line numbers.
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
