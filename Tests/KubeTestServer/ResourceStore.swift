import Foundation

/// Where an object lives: its namespace (empty for cluster-scoped objects) and name.
struct ObjectKey: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
}

/// One change to the store, as a watch reports it.
struct StoredEvent: Sendable {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    var type: String
    var resource: ResourceType
    var object: JSONValue
    var resourceVersion: Int
    /// The object before a MODIFIED change (a watch with a selector turns a change across it into ADDED/DELETED).
    var previous: JSONValue? = nil
}

/// The test server's state: objects by resource and key, a global resourceVersion counter that increases on every
/// write, and a bounded history of changes for watches to resume from. Pure: no I/O, no clock (times are passed in).
struct ResourceStore: Sendable {
    private(set) var objects: [ResourceType: [ObjectKey: JSONValue]] = [:]
    /// The resourceVersion of the last write.
    private(set) var resourceVersion: Int
    /// The retained changes, oldest first.
    private(set) var history: [StoredEvent] = []
    /// Every change after this resourceVersion is in `history`; a watch from an older one gets 410 Gone.
    private(set) var historyStart: Int
    /// How many changes `history` keeps.
    var historyLimit: Int
    private var nextClusterIP = 1
    private var nextNodePort = 30000

    /// An empty store whose first write gets `resourceVersion + 1`.
    init(resourceVersion: Int = 1, historyLimit: Int = 1000) {
        self.resourceVersion = resourceVersion
        self.historyStart = resourceVersion
        self.historyLimit = historyLimit
    }

    /// Forgets every retained change, so a watch from any earlier resourceVersion gets 410 Gone.
    mutating func forgetHistory() {
        history.removeAll()
        historyStart = resourceVersion
    }

    // MARK: Reads

    func get(_ type: ResourceType, namespace: String, name: String) throws -> JSONValue {
        guard let object = objects[type]?[ObjectKey(namespace: namespace, name: name)] else {
            throw APIError.notFound(type, name)
        }
        return object
    }

    /// The objects of `type` (in `namespace`, or all when nil) that match the selectors, in key order.
    func matching(_ type: ResourceType, namespace: String?, labels: LabelSelector?, fields: LabelSelector?)
        -> [(key: ObjectKey, object: JSONValue)] {
        (objects[type] ?? [:]).filter { key, object in
            (namespace == nil || key.namespace == namespace)
                && Self.matches(object, labels: labels, fields: fields)
        }.sorted { $0.key < $1.key }.map { (key: $0.key, object: $0.value) }
    }

    static func matches(_ object: JSONValue, labels: LabelSelector?, fields: LabelSelector?) -> Bool {
        if let labels {
            let values = (object[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            guard labels.matches(values) else { return false }
        }
        if let fields {
            // Any field by its dotted path (metadata.name, spec.type, involvedObject.uid, …).
            var values: [String: String] = ["metadata.namespace": ""]
            for key in fields.keys {
                switch object[path: key.split(separator: ".").map(String.init)] {
                case .string(let value): values[key] = value
                case .int(let value): values[key] = String(value)
                case .bool(let value): values[key] = String(value)
                default: break
                }
            }
            guard fields.matches(values) else { return false }
        }
        return true
    }

    /// The `<Kind>List` of the matching objects, `limit` at a time; `continueToken` resumes after the last key
    /// of the previous page.
    func list(_ type: ResourceType, namespace: String?, labels: LabelSelector?, fields: LabelSelector?,
              limit: Int?, continueToken: String?) throws -> JSONValue {
        var items = matching(type, namespace: namespace, labels: labels, fields: fields)
        var listVersion = resourceVersion
        if let continueToken, !continueToken.isEmpty {
            guard let data = Data(base64Encoded: continueToken),
                  let token = try? JSONValue.parse(Array(data)),
                  let version = token["rv"]?.intValue,
                  let namespace = token["ns"]?.stringValue, let name = token["name"]?.stringValue else {
                throw APIError.badRequest("continue key is not valid: \(continueToken)")
            }
            guard Int(version) >= historyStart else {
                throw APIError.gone("The provided continue parameter is too old to display a consistent list "
                                    + "result. You can start a new list without the continue parameter.")
            }
            let after = ObjectKey(namespace: namespace, name: name)
            items = items.filter { $0.key > after }
            listVersion = Int(version)
        }
        var metadata: JSONValue = ["resourceVersion": .string(String(listVersion))]
        if let limit, limit > 0, items.count > limit {
            let last = items[limit - 1].key
            let token: JSONValue = ["rv": .int(Int64(listVersion)), "ns": .string(last.namespace),
                                    "name": .string(last.name)]
            metadata["continue"] = .string(Data(token.bytes).base64EncodedString())
            metadata["remainingItemCount"] = .int(Int64(items.count - limit))
            items = Array(items.prefix(limit))
        }
        return ["kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion), "metadata": metadata,
                "items": .array(items.map(\.object))]
    }

    /// The retained changes to `type` after `version`; 410 Gone when changes after it were forgotten.
    func events(_ type: ResourceType, after version: Int) throws -> [StoredEvent] {
        guard version >= historyStart else {
            throw APIError.gone("too old resource version: \(version) (\(historyStart + 1))")
        }
        return history.filter { $0.resourceVersion > version && $0.resource == type }
    }

    // MARK: Writes

    /// Creates `object`, setting uid, creationTimestamp, generation, resourceVersion (and a Service's defaults).
    /// A resource with a status subresource starts with an empty status, as on the API server, unless
    /// `keepStatus` (for tests that seed objects as an earlier controller left them).
    mutating func create(_ type: ResourceType, namespace: String, object: JSONValue, now: Date,
                         keepStatus: Bool = false) throws -> (JSONValue, StoredEvent?) {
        guard case .object = object else { throw APIError.badRequest("the body is not a JSON object") }
        var object = object
        if let kind = object["kind"]?.stringValue, kind != type.kind {
            throw APIError.badRequest("the kind \(kind) does not match the resource \(type)")
        }
        var name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if name.isEmpty, let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            let letters = Array("bcdfghjklmnpqrstvwxz2456789")
            name = prefix + String((0..<5).map { _ in letters.randomElement()! })
        }
        guard !name.isEmpty else { throw APIError.invalid(type, "", "metadata.name: Required value: name or generateName is required") }
        let key = ObjectKey(namespace: type.namespaced ? namespace : "", name: name)
        if let given = object[path: ["metadata", "namespace"]]?.stringValue, type.namespaced, !given.isEmpty,
           given != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on "
                                      + "the request")
        }
        guard objects[type]?[key] == nil else { throw APIError.alreadyExists(type, name) }
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
        object[path: ["metadata", "name"]] = .string(name)
        object[path: ["metadata", "namespace"]] = type.namespaced ? .string(namespace) : nil
        object[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
        object[path: ["metadata", "creationTimestamp"]] = .string(Self.timestamp(now))
        object[path: ["metadata", "generation"]] = 1
        object[path: ["metadata", "resourceVersion"]] = nil
        if type.hasStatus, !keepStatus { object["status"] = nil }
        if type == .services { applyServiceDefaults(&object) }
        if type == .namespaces, object[path: ["status", "phase"]] == nil {
            object[path: ["status", "phase"]] = "Active"
        }
        let (created, event) = commit(type, key, object, eventType: "ADDED")
        return (created, event)
    }

    /// Replaces the object (PUT): 409 when `metadata.resourceVersion` is given and stale. With `status` only the
    /// status changes; otherwise a resource with a status subresource keeps its status.
    mutating func update(_ type: ResourceType, namespace: String, name: String, object: JSONValue,
                         status: Bool) throws -> (JSONValue, StoredEvent?) {
        let old = try get(type, namespace: namespace, name: name)
        guard case .object = object else { throw APIError.badRequest("the body is not a JSON object") }
        if let given = object[path: ["metadata", "name"]]?.stringValue, given != name {
            throw APIError.badRequest("the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        try checkVersion(type, name: name, old: old, given: object)
        return replace(type, ObjectKey(namespace: type.namespaced ? namespace : "", name: name), old: old,
                       new: object, status: status)
    }

    /// Applies a JSON merge patch (RFC 7386); 409 when the patch names a stale `metadata.resourceVersion`.
    mutating func patch(_ type: ResourceType, namespace: String, name: String, patch: JSONValue, status: Bool)
        throws -> (JSONValue, StoredEvent?) {
        let old = try get(type, namespace: namespace, name: name)
        guard case .object = patch else { throw APIError.badRequest("the patch is not a JSON object") }
        try checkVersion(type, name: name, old: old, given: patch)
        return replace(type, ObjectKey(namespace: type.namespaced ? namespace : "", name: name), old: old,
                       new: old.mergePatched(with: patch), status: status)
    }

    /// Deletes the object and returns it with the deletion's resourceVersion.
    /// `preconditions` (DeleteOptions' `uid` / `resourceVersion`) that do not match give 409 Conflict.
    mutating func delete(_ type: ResourceType, namespace: String, name: String, preconditions: JSONValue? = nil)
        throws -> (JSONValue, StoredEvent?) {
        var object = try get(type, namespace: namespace, name: name)
        for field in ["uid", "resourceVersion"] {
            if let wanted = preconditions?[field]?.stringValue, wanted != object[path: ["metadata", field]]?.stringValue {
                throw APIError(code: 409, reason: "Conflict",
                               message: "Operation cannot be fulfilled on \(type.qualifiedPlural) \"\(name)\": "
                                   + "Precondition failed: \(field): \(wanted)", details: type.details(name: name))
            }
        }
        let key = ObjectKey(namespace: type.namespaced ? namespace : "", name: name)
        objects[type]?[key] = nil
        resourceVersion += 1
        object[path: ["metadata", "resourceVersion"]] = .string(String(resourceVersion))
        let event = StoredEvent(type: "DELETED", resource: type, object: object, resourceVersion: resourceVersion)
        record(event)
        return (object, event)
    }

    private func checkVersion(_ type: ResourceType, name: String, old: JSONValue, given: JSONValue) throws {
        if let version = given[path: ["metadata", "resourceVersion"]]?.stringValue, !version.isEmpty,
           version != old[path: ["metadata", "resourceVersion"]]?.stringValue {
            throw APIError.conflict(type, name)
        }
    }

    private mutating func replace(_ type: ResourceType, _ key: ObjectKey, old: JSONValue, new: JSONValue,
                                  status: Bool) -> (JSONValue, StoredEvent?) {
        var result: JSONValue
        if status {
            result = old
            result["status"] = new["status"]
        } else {
            result = new
            if type.hasStatus { result["status"] = old["status"] }
            for field in ["uid", "creationTimestamp", "name", "namespace", "generation"] {
                result[path: ["metadata", field]] = old[path: ["metadata", field]]
            }
            result["kind"] = .string(type.kind)
            result["apiVersion"] = .string(type.apiVersion)
            if type == .services { applyServiceDefaults(&result) }
            if result["spec"] != old["spec"], let generation = old[path: ["metadata", "generation"]]?.intValue {
                result[path: ["metadata", "generation"]] = .int(generation + 1)
            }
        }
        result[path: ["metadata", "resourceVersion"]] = old[path: ["metadata", "resourceVersion"]]
        // A write that changes nothing is not a write: the resourceVersion stays and no event is sent.
        if result == old { return (old, nil) }
        let (object, event) = commit(type, key, result, eventType: "MODIFIED", previous: old)
        return (object, event)
    }

    private mutating func commit(_ type: ResourceType, _ key: ObjectKey, _ object: JSONValue, eventType: String,
                                 previous: JSONValue? = nil) -> (JSONValue, StoredEvent) {
        var object = object
        resourceVersion += 1
        object[path: ["metadata", "resourceVersion"]] = .string(String(resourceVersion))
        objects[type, default: [:]][key] = object
        let event = StoredEvent(type: eventType, resource: type, object: object, resourceVersion: resourceVersion,
                                previous: previous)
        record(event)
        return (object, event)
    }

    private mutating func record(_ event: StoredEvent) {
        history.append(event)
        if history.count > historyLimit {
            let dropped = history.count - historyLimit
            historyStart = history[dropped - 1].resourceVersion
            history.removeFirst(dropped)
        }
    }

    private mutating func applyServiceDefaults(_ service: inout JSONValue) {
        var spec = service["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        spec["type"] = .string(type)
        if type != "ExternalName" {
            // As a dual-stack API server: the families asked for (both for a dual-stack policy), one cluster IP each.
            let policy = spec["ipFamilyPolicy"]?.stringValue
            let families = spec["ipFamilies"]?.arrayValue?.compactMap(\.stringValue)
                ?? (policy == "RequireDualStack" || policy == "PreferDualStack" ? ["IPv4", "IPv6"] : ["IPv4"])
            if let given = spec["clusterIPs"]?.arrayValue, let first = given.first, spec["clusterIP"] == nil {
                spec["clusterIP"] = first
            } else if spec["clusterIP"] == nil {
                let number = nextClusterIP
                nextClusterIP += 1
                let ips = families.map { family -> JSONValue in
                    family == "IPv6" ? .string("fd00:96::\(String(number + 1, radix: 16))")
                        : .string("10.96.\(number / 256).\(number % 256)")
                }
                spec["clusterIP"] = ips.first ?? .null
                spec["clusterIPs"] = .array(ips)
            } else if spec["clusterIPs"] == nil, let clusterIP = spec["clusterIP"] {
                spec["clusterIPs"] = [clusterIP]
            }
            if spec["ipFamilies"] == nil { spec["ipFamilies"] = .array(families.map { .string($0) }) }
            if spec["ipFamilyPolicy"] == nil { spec["ipFamilyPolicy"] = families.count > 1 ? "RequireDualStack" : "SingleStack" }
            if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
            if spec["internalTrafficPolicy"] == nil { spec["internalTrafficPolicy"] = "Cluster" }
        }
        if type == "LoadBalancer" || type == "NodePort" {
            if spec["externalTrafficPolicy"] == nil { spec["externalTrafficPolicy"] = "Cluster" }
        }
        if type == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil {
            spec["allocateLoadBalancerNodePorts"] = true
        }
        if let ports = spec["ports"]?.arrayValue {
            spec["ports"] = .array(ports.map { port in
                var port = port
                if port["protocol"] == nil { port["protocol"] = "TCP" }
                if port["targetPort"] == nil { port["targetPort"] = port["port"] }
                if (type == "LoadBalancer" || type == "NodePort"), port["nodePort"] == nil {
                    port["nodePort"] = .int(Int64(nextNodePort))
                    nextNodePort += 1
                }
                return port
            })
        }
        service["spec"] = spec
        if service[path: ["status", "loadBalancer"]] == nil { service[path: ["status", "loadBalancer"]] = [:] }
    }

    /// RFC 3339 in whole seconds, UTC, as Kubernetes writes timestamps.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
