// Mapping: Kubernetes objects → lbd's kernel model, and what is written back. Pure functions, no I/O.
//
// KubeObject.swift       the object envelope (`ObjectMeta`), decoding that names the object and field on failure
// KubeService*.swift     Services → `LBKernel.Service` (class filter, MetalLB annotations, families, ports, ETP)
// KubeEndpointSlice.swift serving endpoints per node, aggregated over a service's slices
// KubeNode.swift, KubeNamespace.swift   nodes and namespace labels
// RawObject.swift        objects kept whole as JSON (the `metallb.io` resources, the legacy ConfigMap)
// MetalLBObjects.swift   `metallb.io` CRDs, the legacy ConfigMap and BGP password Secrets → `Policy`
// SnapshotBuilder.swift  everything above → one `SourceSnapshot` plus per-object problems
// WriteBackPlanner.swift status, annotation and events to write per service; EventRecorder.swift aggregates events
//
// The shell's loop: informers → `SnapshotInputs` → `SnapshotBuilder.build` → publish `snapshot` (none while the
// configuration has never been valid); `record(report)` → `WriteBackPlanner.plan` → per `ServiceWrite` PATCH
// `statusPatch(resourceVersion:)` to `…/services/NAME/status` and `annotationPatch(resourceVersion:)` to the
// service (409 → re-read, re-plan), and each event through `EventRecorder.record` (POST, PATCH or drop).
public import Foundation
public import LBKernel

/// Kubernetes object metadata: the fields lbd reads; every other field is ignored.
public struct ObjectMeta: Codable, Hashable, Sendable {
    /// The object's name.
    public var name: String
    /// The namespace, or nil for cluster-scoped objects.
    public var namespace: String?
    /// The server-assigned unique id, when known.
    public var uid: String?
    /// The resource version the object was read at (for optimistic concurrency).
    public var resourceVersion: String?
    /// The labels.
    public var labels: Labels
    /// The annotations.
    public var annotations: [String: String]

    /// Creates metadata.
    public init(name: String, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
                labels: Labels = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.labels = labels
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey { case name, namespace, uid, resourceVersion, labels, annotations }

    /// Decodes metadata; only `name` is required, absent maps are empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        uid = try c.decodeIfPresent(String.self, forKey: .uid)
        resourceVersion = try c.decodeIfPresent(String.self, forKey: .resourceVersion)
        labels = try c.decodeIfPresent(Labels.self, forKey: .labels) ?? [:]
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    public var qualifiedName: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// A Kubernetes object lbd reads: its kind and its metadata.
public protocol KubeObject: Decodable, Sendable {
    /// The object's kind (`Service`, `Node`, …).
    static var kind: String { get }
    /// The object's metadata.
    var metadata: ObjectMeta { get }
}

/// A problem with one Kubernetes object: which object, which field, and what is wrong. The object is skipped.
public struct KubeObjectProblem: Error, Hashable, Sendable, CustomStringConvertible {
    /// The object's kind.
    public var kind: String
    /// The object's namespace, or nil (cluster-scoped, or unknown).
    public var namespace: String?
    /// The object's name, or nil when even that could not be read.
    public var name: String?
    /// The field path (`spec.ports[0].port`), or nil for the object as a whole.
    public var field: String?
    /// What is wrong.
    public var message: String

    /// Creates a problem.
    public init(kind: String, namespace: String? = nil, name: String? = nil, field: String? = nil, message: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.field = field
        self.message = message
    }

    /// `Service default/web: spec.ports[0].port: message`.
    public var description: String {
        var object = kind
        if let name { object += " " + (namespace.map { "\($0)/\(name)" } ?? name) }
        return [object, field, message].compactMap { $0 }.joined(separator: ": ")
    }
}

/// Decodes Kubernetes objects from their JSON, turning a failure into a ``KubeObjectProblem`` that names the
/// object (as far as its metadata can be read) and the field path.
public enum KubeObjectDecoder {
    /// Decodes one object of type `T` from its JSON text.
    ///
    /// - Throws: ``KubeObjectProblem`` naming kind, namespace/name and the field that failed.
    public static func decode<T: KubeObject>(_ type: T.Type, from data: Data) throws(KubeObjectProblem) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw problem(kind: T.kind, data: data, error: error)
        }
    }

    /// The problem for `error`, raised while decoding `data` as an object of `kind`.
    public static func problem(kind: String, data: Data, error: any Error) -> KubeObjectProblem {
        let header = try? JSONDecoder().decode(Header.self, from: data)
        var result = KubeObjectProblem(kind: kind, namespace: header?.metadata?.namespace,
                                       name: header?.metadata?.name, message: "\(error)")
        guard let error = error as? DecodingError else { return result }
        switch error {
        case .typeMismatch(let type, let context):
            result.field = path(context.codingPath)
            result.message = "expected \(typeName(type)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            result.field = path(context.codingPath)
            result.message = "expected \(typeName(type)), found null"
        case .keyNotFound(let key, let context):
            result.field = path(context.codingPath + [key])
            result.message = "required field is missing"
        case .dataCorrupted(let context):
            result.field = context.codingPath.isEmpty ? nil : path(context.codingPath)
            result.message = context.underlyingError.map { "\(context.debugDescription) (\($0))" }
                ?? context.debugDescription
        @unknown default:
            break
        }
        return result
    }

    /// `spec.ports[0].port` from a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int32.Type, is UInt16.Type, is UInt32.Type, is Int64.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            "\(type)".hasPrefix("Array") ? "a list" : "\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }

    /// The parts of any object that name it.
    struct Header: Decodable {
        var apiVersion: String?
        var kind: String?
        var metadata: Meta?

        struct Meta: Decodable {
            var name: String?
            var namespace: String?
        }
    }
}
