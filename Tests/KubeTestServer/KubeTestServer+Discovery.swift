/// The discovery documents kubectl and client-go read before they touch a resource (legacy, non-aggregated form:
/// clients that ask for aggregated discovery get these as plain `application/json` and fall back to them).
enum Discovery {
    /// The served group versions by group, preferred version first.
    static var groupVersions: [(group: String, versions: [String])] {
        var result: [(group: String, versions: [String])] = []
        for type in ResourceType.all where !type.group.isEmpty {
            if let index = result.firstIndex(where: { $0.group == type.group }) {
                if !result[index].versions.contains(type.version) { result[index].versions.append(type.version) }
            } else {
                result.append((type.group, [type.version]))
            }
        }
        return result.map { ($0.group, $0.versions.sorted(by: >)) }
    }

    static func groupDocument(_ group: String, _ versions: [String]) -> JSONValue {
        let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(group), "versions": .array(entries),
                "preferredVersion": entries[0]]
    }

    /// `/apis`.
    static var groupList: JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1",
         "groups": .array(groupVersions.map { groupDocument($0.group, $0.versions).mergePatched(
             with: ["kind": .null, "apiVersion": .null]) })]
    }

    /// `/apis/<group>`.
    static func group(_ name: String) -> JSONValue? {
        groupVersions.first { $0.group == name }.map { groupDocument($0.group, $0.versions) }
    }

    /// `/api/v1` or `/apis/<group>/<version>`: an APIResourceList, with each `/status` subresource.
    static func resourceList(group: String, version: String) -> JSONValue? {
        let types = ResourceType.all.filter { $0.group == group && $0.version == version }
        guard !types.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for type in types {
            var entry: JSONValue = ["name": .string(type.plural), "singularName": .string(type.singular),
                                    "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                                    "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            resources.append(entry)
            if type.hasStatus {
                resources.append(["name": .string(type.plural + "/status"), "singularName": "",
                                  "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                                  "verbs": ["get", "patch", "update"]])
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
                "resources": .array(resources)]
    }

    /// `/version`.
    static let version: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-kubetestserver", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "swift", "compiler": "swift", "platform": "linux/amd64",
    ]
}

extension KubeTestServer {
    /// `/api`: the core group's versions and the server's address.
    var apiVersions: JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string("\(host):\(port)")]]]
    }
}
