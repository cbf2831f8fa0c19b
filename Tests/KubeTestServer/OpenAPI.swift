/// The smallest OpenAPI v3 documents kubectl accepts: per group version, a PATCH operation for each kind that
/// declares the `fieldValidation` query parameter, so `kubectl create` validates on the server (which accepts
/// every field) instead of downloading schemas. `/openapi/v2` is 404 (kubectl does not need it then).
enum OpenAPI {
    /// `/openapi/v3`: where each group version's document is.
    static var root: JSONValue {
        var paths: [String: JSONValue] = [:]
        for path in groupVersionPaths {
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=0")]
        }
        return ["paths": .object(paths)]
    }

    /// `api/v1`, `apis/<group>/<version>`, … without the leading slash.
    static var groupVersionPaths: [String] {
        var seen: [String] = []
        for type in ResourceType.all where !seen.contains(String(type.groupVersionPath.dropFirst())) {
            seen.append(String(type.groupVersionPath.dropFirst()))
        }
        return seen
    }

    /// `/openapi/v3/<path>`, or nil when no group version is served there.
    static func document(_ path: String) -> JSONValue? {
        let types = ResourceType.all.filter { String($0.groupVersionPath.dropFirst()) == path }
        guard !types.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        for type in types {
            let object = type.namespaced ? "\(type.groupVersionPath)/namespaces/{namespace}/\(type.plural)/{name}"
                : "\(type.groupVersionPath)/\(type.plural)/{name}"
            let gvk: JSONValue = ["group": .string(type.group), "version": .string(type.version),
                                  "kind": .string(type.kind)]
            let parameters: JSONValue = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            paths[object] = ["patch": ["operationId": .string("patch\(type.kind)"),
                                       "x-kubernetes-action": "patch",
                                       "x-kubernetes-group-version-kind": gvk,
                                       "parameters": parameters,
                                       "responses": ["200": ["description": "OK"]]]]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"],
                "paths": .object(paths), "components": ["schemas": [:]]]
    }
}
