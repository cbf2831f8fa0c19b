// WatchDecoding: list pages and watch lines decoded so that one bad object is a reported KubeObjectProblem and
// the rest of the page or stream goes on.
import Foundation

/// One item of a list or watch: the object, or the problem that kept it from decoding, plus what names it.
struct DecodedItem<Object: KubeObject>: Decodable {
    var result: Result<Object, KubeObjectProblem>
    var name: String?
    var namespace: String?
    var resourceVersion: String?

    /// `namespace/name` or `name`, when the metadata names the object.
    var key: String? {
        guard let name else { return nil }
        return namespace.map { "\($0)/\(name)" } ?? name
    }

    private struct Header: Decodable {
        var metadata: Meta?
        struct Meta: Decodable {
            var name: String?
            var namespace: String?
            var resourceVersion: String?
        }
    }

    init(from decoder: any Decoder) throws {
        let header = try? Header(from: decoder)
        name = header?.metadata?.name
        namespace = header?.metadata?.namespace
        resourceVersion = header?.metadata?.resourceVersion
        do {
            result = .success(try Object(from: decoder))
        } catch {
            var problem = KubeObjectDecoder.problem(kind: Object.kind, data: Data(), error: error)
            problem.name = name
            problem.namespace = namespace
            if let path = Self.codingPath(of: error) {
                let own = Array(path.dropFirst(decoder.codingPath.count))
                problem.field = own.isEmpty ? nil : KubeObjectDecoder.path(own)
            }
            result = .failure(problem)
        }
    }

    private static func codingPath(of error: any Error) -> [any CodingKey]? {
        guard let error = error as? DecodingError else { return nil }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath
        case .keyNotFound(let key, let context):
            return context.codingPath + [key]
        @unknown default:
            return nil
        }
    }
}

/// One page of a list response.
struct ListPage<Object: KubeObject>: Decodable {
    var metadata: Metadata
    var items: [DecodedItem<Object>]

    struct Metadata: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }

    enum CodingKeys: String, CodingKey { case metadata, items }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(Metadata.self, forKey: .metadata)
        items = try container.decodeIfPresent([DecodedItem<Object>].self, forKey: .items) ?? []
    }
}

/// One line of a watch stream: `{"type": …, "object": …}`.
struct WatchLine<Object: KubeObject>: Decodable {
    var event: InformerStateMachine<Object>.WatchEvent

    enum CodingKeys: String, CodingKey { case type, object }

    private struct Bookmark: Decodable {
        var metadata: Meta
        struct Meta: Decodable { var resourceVersion: String }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "BOOKMARK":
            let mark = try container.decode(Bookmark.self, forKey: .object)
            event = .bookmark(resourceVersion: mark.metadata.resourceVersion)
        case "ERROR":
            let status = try container.decode(KubeStatus.self, forKey: .object)
            event = .error(code: status.code ?? 500, reason: status.reason ?? "", message: status.message ?? "")
        case "ADDED", "MODIFIED", "DELETED":
            let item = try container.decode(DecodedItem<Object>.self, forKey: .object)
            switch item.result {
            case .success(let object):
                let key = object.metadata.qualifiedName
                let version = object.metadata.resourceVersion ?? item.resourceVersion
                event = type == "ADDED" ? .added(key: key, object: object, resourceVersion: version)
                    : type == "MODIFIED" ? .modified(key: key, object: object, resourceVersion: version)
                    : .deleted(key: key, resourceVersion: version)
            case .failure(let problem):
                if type == "DELETED", let key = item.key {
                    event = .deleted(key: key, resourceVersion: item.resourceVersion)
                } else {
                    event = .undecodable(type: type, key: item.key, resourceVersion: item.resourceVersion,
                                         problem: problem)
                }
            }
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container,
                                                   debugDescription: "unknown watch event type '\(type)'")
        }
    }

    /// Decodes one line; a line that is not a watch event at all becomes an `undecodable` event.
    static func decode(_ line: [UInt8]) -> InformerStateMachine<Object>.WatchEvent {
        do {
            return try JSONDecoder().decode(WatchLine.self, from: Data(line)).event
        } catch {
            let problem = KubeObjectDecoder.problem(kind: Object.kind, data: Data(line), error: error)
            return .undecodable(type: "?", key: nil, resourceVersion: nil, problem: problem)
        }
    }
}

extension KubeClient {
    /// The result of listing every page of a resource.
    public struct ListResult<Object: KubeObject>: Sendable {
        /// The objects that decoded, by `namespace/name`.
        public var items: [String: Object]
        /// The list's resource version, to watch from.
        public var resourceVersion: String
        /// The objects skipped because they did not decode.
        public var problems: [KubeObjectProblem]
    }

    /// Lists every page of `path` (`limit` = `pageSize`, following `continue`) and decodes the items as `Object`;
    /// items that fail to decode are returned as problems, not thrown.
    ///
    /// - Throws: ``KubeError`` for an error status (410 when a continue token expired), or a transport error.
    public func listAll<Object: KubeObject>(_ path: String, as type: Object.Type, pageSize: Int? = 500)
        async throws -> ListResult<Object> {
        var result = ListResult<Object>(items: [:], resourceVersion: "", problems: [])
        var token: String?
        repeat {
            let bytes = try await list(path, limit: pageSize, continue: token)
            let page: ListPage<Object>
            do {
                page = try JSONDecoder().decode(ListPage<Object>.self, from: Data(bytes))
            } catch {
                throw KubeError(code: 200, reason: "UndecodableList", message: "\(error)", verb: "LIST", path: path)
            }
            for item in page.items {
                switch item.result {
                case .success(let object): result.items[object.metadata.qualifiedName] = object
                case .failure(let problem): result.problems.append(problem)
                }
            }
            if let version = page.metadata.resourceVersion { result.resourceVersion = version }
            token = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return result
    }
}
