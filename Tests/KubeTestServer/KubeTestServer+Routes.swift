import Synchronization
import Foundation
import NIOCore
import NIOHTTP1

/// An answer that is not a watch.
struct Response: Sendable {
    var status: Int
    var body: [UInt8]
    var contentType = "application/json"
    var headers: [(String, String)] = []

    static func json(_ value: JSONValue, status: Int = 200) -> Response { Response(status: status, body: value.bytes) }

    static func error(_ error: APIError) -> Response { .json(error.status, status: error.code) }
}

/// What a URL names.
enum Target: Sendable {
    case discovery(Response)
    case collection(ResourceType, namespace: String?)
    case object(ResourceType, namespace: String, name: String, status: Bool)
}

extension KubeTestServer {
    /// Answers one request: faults first, then authentication, then the route.
    func serve(_ request: Request, on channel: any Channel) async {
        let (delay, failure) = state.withLock { state -> (Duration, Int?) in
            state.requests.append("\(request.head.method.rawValue) \(request.head.uri)")
            guard state.failures > 0, state.failureMethod.map({ $0 == request.head.method.rawValue }) ?? true,
                  state.failurePath.map({ request.head.uri.contains($0) }) ?? true else { return (state.delay, nil) }
            state.failures -= 1
            return (state.delay, state.failureStatus)
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        let keepAlive = request.head.isKeepAlive
        if let failure {
            var response = Response.error(Self.injected(failure))
            if failure == 429 { response.headers.append(("Retry-After", "1")) }
            Self.write(response, to: channel, keepAlive: keepAlive)
            return
        }
        do {
            let permission = try authenticate(request)
            let target = try Self.target(of: request.path, server: self)
            if case .collection(let type, let namespace) = target, request.head.method == .GET,
               ["true", "1"].contains(request.query["watch"] ?? "") {
                try startWatch(request, type: type, namespace: namespace, on: channel)
                return
            }
            let response = try handle(request, target: target, permission: permission)
            Self.write(response, to: channel, keepAlive: keepAlive)
        } catch let error as APIError {
            Self.write(.error(error), to: channel, keepAlive: keepAlive)
        } catch {
            Self.write(.error(APIError(code: 500, reason: "InternalError", message: "\(error)")), to: channel,
                       keepAlive: keepAlive)
        }
    }

    static func injected(_ status: Int) -> APIError {
        switch status {
        case 429: APIError(code: 429, reason: "TooManyRequests",
                           message: "the server has received too many requests and has asked us to try again later")
        case 409: APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled: the object has been "
                               + "modified; please apply your changes to the latest version and try again (injected)")
        case 503: APIError(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to "
                               + "handle the request")
        default: APIError(code: status, reason: "InternalError", message: "an error on the server (\"injected "
                              + "fault\") has prevented the request from succeeding")
        }
    }

    private func authenticate(_ request: Request) throws -> Permission {
        guard !tokens.isEmpty else { return .full }
        let header = request.head.headers.first(name: "Authorization") ?? ""
        guard header.hasPrefix("Bearer "), let permission = tokens[String(header.dropFirst(7))] else {
            throw APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
        }
        return permission
    }

    /// Parses a URL path into discovery or a resource target.
    static func target(of path: String, server: KubeTestServer) throws -> Target {
        let segments = path.split(separator: "/").map(String.init)
        let notFound = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested "
                                    + "resource")
        var rest: ArraySlice<String>
        let group: String, version: String
        switch segments.first {
        case "api":
            guard segments.count > 1 else { return .discovery(.json(server.apiVersions)) }
            (group, version, rest) = ("", segments[1], segments.dropFirst(2))
        case "apis":
            guard segments.count > 1 else { return .discovery(.json(Discovery.groupList)) }
            guard segments.count > 2 else {
                guard let group = Discovery.group(segments[1]) else { throw notFound }
                return .discovery(.json(group))
            }
            (group, version, rest) = (segments[1], segments[2], segments.dropFirst(3))
        case "version":
            return .discovery(.json(Discovery.version))
        case "openapi" where segments.count >= 2 && segments[1] == "v3":
            guard segments.count > 2 else { return .discovery(.json(OpenAPI.root)) }
            guard let document = OpenAPI.document(segments.dropFirst(2).joined(separator: "/")) else {
                throw notFound
            }
            return .discovery(.json(document))
        case "healthz", "readyz", "livez":
            return .discovery(Response(status: 200, body: Array("ok".utf8), contentType: "text/plain"))
        default:
            throw notFound
        }
        guard !rest.isEmpty else {
            guard let list = Discovery.resourceList(group: group, version: version) else { throw notFound }
            return .discovery(.json(list))
        }
        var namespace: String?
        if rest.first == "namespaces", rest.count >= 3, rest[rest.startIndex + 2] != "status" {
            namespace = rest[rest.startIndex + 1]
            rest = rest.dropFirst(2)
        }
        guard let type = ResourceType.find(group: group, version: version, plural: rest[rest.startIndex]),
              namespace == nil || type.namespaced else { throw notFound }
        rest = rest.dropFirst()
        guard let name = rest.first else { return .collection(type, namespace: namespace) }
        rest = rest.dropFirst()
        guard rest.isEmpty || (rest == ["status"] && type.hasStatus), type.namespaced == (namespace != nil) else {
            throw notFound
        }
        return .object(type, namespace: namespace ?? "", name: name, status: !rest.isEmpty)
    }

    private func handle(_ request: Request, target: Target, permission: Permission) throws -> Response {
        let method = request.head.method
        if permission == .readOnly, method != .GET, method != .HEAD {
            var what = "", name = ""
            switch target {
            case .discovery: break
            case .collection(let type, let namespace):
                what = "resource \"\(type.plural)\" in API group \"\(type.group)\""
                    + (namespace.map { " in the namespace \"\($0)\"" } ?? " at the cluster scope")
                name = type.qualifiedPlural + " is forbidden"
            case .object(let type, let namespace, let object, let status):
                what = "resource \"\(type.plural)\(status ? "/status" : "")\" in API group \"\(type.group)\""
                    + (namespace.isEmpty ? " at the cluster scope" : " in the namespace \"\(namespace)\"")
                name = "\(type.qualifiedPlural) \"\(object)\" is forbidden"
            }
            throw APIError(code: 403, reason: "Forbidden", message: "\(name): User \"read-only\" cannot "
                               + "\(Self.verb(method)) \(what)")
        }
        let bodyType = request.head.headers.first(name: "Content-Type") ?? ""
        if !request.body.isEmpty, bodyType.contains("protobuf") || bodyType.contains("cbor") {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the test server reads JSON only, not \(bodyType)")
        }
        let table = (request.head.headers.first(name: "Accept") ?? "").contains("as=Table")
        switch target {
        case .discovery(let response):
            guard method == .GET else { throw Self.methodNotAllowed }
            return response
        case .collection(let type, let namespace):
            switch method {
            case .GET:
                let query = request.query
                let labels = try query["labelSelector"].map(LabelSelector.init(parsing:))
                let fields = try query["fieldSelector"].map(LabelSelector.init(parsing:))
                let list = try state.withLock {
                    try $0.store.list(type, namespace: namespace, labels: labels, fields: fields,
                                      limit: query["limit"].flatMap { Int($0) }, continueToken: query["continue"])
                }
                return .json(table ? Self.table(type, list: list) : list)
            case .POST:
                guard let namespace = namespace ?? (type.namespaced ? nil : "") else { throw Self.methodNotAllowed }
                let body = try Self.parse(request.body)
                let created = try write { try $0.create(type, namespace: namespace, object: body, now: Date()) }
                return .json(created, status: 201)
            default:
                throw Self.methodNotAllowed
            }
        case .object(let type, let namespace, let name, let status):
            switch method {
            case .GET:
                let object = try state.withLock { try $0.store.get(type, namespace: namespace, name: name) }
                return .json(table ? Self.table(type, objects: [object], metadata: [:]) : object)
            case .PUT:
                let body = try Self.parse(request.body)
                return .json(try write {
                    try $0.update(type, namespace: namespace, name: name, object: body, status: status)
                })
            case .PATCH:
                let contentType = request.head.headers.first(name: "Content-Type") ?? ""
                guard contentType.hasPrefix("application/merge-patch+json")
                    || contentType.hasPrefix("application/strategic-merge-patch+json") else {
                    throw APIError(code: 415, reason: "UnsupportedMediaType",
                                   message: "the body of the request was in an unknown format - accepted media types "
                                       + "include: application/merge-patch+json, "
                                       + "application/strategic-merge-patch+json")
                }
                let patch = try Self.parse(request.body)
                return .json(try write {
                    try $0.patch(type, namespace: namespace, name: name, patch: patch, status: status)
                })
            case .DELETE:
                guard !status else { throw Self.methodNotAllowed }
                let options = request.body.isEmpty ? nil : try Self.parse(request.body)
                return .json(try write {
                    try $0.delete(type, namespace: namespace, name: name, preconditions: options?["preconditions"])
                })
            default:
                throw Self.methodNotAllowed
            }
        }
    }

    /// Performs a write on the store and tells the watches, under one lock (so watches see writes in order).
    func write(_ body: (inout ResourceStore) throws -> (JSONValue, StoredEvent?)) throws -> JSONValue {
        try state.withLock { state in
            let (object, event) = try body(&state.store)
            if let event { Self.notify(event, state: &state) }
            return object
        }
    }

    private static let methodNotAllowed = APIError(code: 405, reason: "MethodNotAllowed",
                                                   message: "the server does not allow this method on the "
                                                       + "requested resource")

    private static func verb(_ method: HTTPMethod) -> String {
        switch method {
        case .POST: "create"
        case .PUT: "update"
        case .PATCH: "patch"
        case .DELETE: "delete"
        default: method.rawValue.lowercased()
        }
    }

    private static func parse(_ body: [UInt8]) throws -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw APIError.badRequest("the body of the request is not JSON: \(error)")
        }
    }

    /// Writes a whole response; closes the connection afterwards unless it is kept alive.
    static func write(_ response: Response, to channel: any Channel, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-cache, private")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers)
        let body = ByteBuffer(bytes: response.body)
        channel.eventLoop.execute {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        }
    }
}
