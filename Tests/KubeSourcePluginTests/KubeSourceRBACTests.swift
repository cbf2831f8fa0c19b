// The chart's RBAC is exactly enough: every request the source makes (leader and follower, a 409 re-read, events,
// the Lease, the legacy ConfigMap) is allowed by the rules rendered into deploy/lbd.yaml.
import Foundation
@testable import KubeSourcePlugin
import KubeTestServer
import LBKernel
import LBKernelTestKit
import Logging
import Testing

/// One RBAC rule as rendered.
private struct Rule {
    var groups: [String]
    var resources: [String]
    var names: [String]
    var verbs: [String]
}

/// One API request, as RBAC sees it.
private struct Access: Hashable, CustomStringConvertible {
    var verb: String
    var group: String
    var resource: String
    var namespace: String?
    var name: String?

    var description: String {
        "\(verb) \(group.isEmpty ? "" : group + "/")\(resource)\(name.map { " " + $0 } ?? "") in \(namespace ?? "cluster")"
    }

    /// Parses `METHOD /api/v1/…?query` or `METHOD /apis/GROUP/VERSION/…`.
    init?(logLine: String) {
        let parts = logLine.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let (path, query) = parts[1].split(separator: "?", maxSplits: 1).map(String.init)
            .splitFirst()
        var segments = path.split(separator: "/").map(String.init)
        guard let root = segments.first else { return nil }
        if root == "api" { segments.removeFirst(2); group = "" }
        else if root == "apis" { group = segments[1]; segments.removeFirst(3) }
        else { return nil }
        namespace = nil
        if segments.count >= 3, segments[0] == "namespaces" {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let collection = segments.first else { return nil }
        resource = collection + (segments.count >= 3 ? "/" + segments[2] : "")
        name = segments.count >= 2 ? segments[1] : nil
        let watch = query?.contains("watch=true") == true
        switch parts[0] {
        case "GET": verb = name != nil ? "get" : watch ? "watch" : "list"
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = "delete"
        default: return nil
        }
    }
}

private extension Array where Element == String {
    func splitFirst() -> (String, String?) { (self[0], count > 1 ? self[1] : nil) }
}

@Suite(.timeLimit(.minutes(2)))
struct KubeSourceRBACTests {
    /// The rules of the ClusterRole and of the Role (with its namespace) in the rendered manifests.
    private static func renderedRules() throws -> (cluster: [Rule], namespaced: [Rule], namespace: String) {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/lbd.yaml").path
        let documents = try YAMLNode.documents(in: try String(contentsOfFile: path, encoding: .utf8), file: path)
        func rules(_ document: YAMLNode) -> [Rule] {
            (document["rules"]?.items ?? []).map { rule in
                func list(_ key: String) -> [String] { (rule[key]?.items ?? []).compactMap(\.scalar) }
                return Rule(groups: list("apiGroups"), resources: list("resources"), names: list("resourceNames"),
                            verbs: list("verbs"))
            }
        }
        let cluster = try #require(documents.first { $0["kind"]?.scalar == "ClusterRole" })
        let role = try #require(documents.first { $0["kind"]?.scalar == "Role" })
        return (rules(cluster), rules(role), try #require(role["metadata"]?["namespace"]?.scalar))
    }

    private static func allows(_ rules: [Rule], _ access: Access) -> Bool {
        rules.contains { rule in
            rule.groups.contains(access.group) && rule.resources.contains(access.resource)
                && rule.verbs.contains(access.verb)
                && (rule.names.isEmpty || access.name.map(rule.names.contains) == true)
        }
    }

    @Test func everyRequestOfTheSourceIsAllowedByTheChartsRules() async throws {
        let (cluster, namespaced, namespace) = try Self.renderedRules()
        #expect(namespace == "lbd-system", "the test's source reads its configuration where the chart's Role is")
        let fixture = try await KubeSourceFixture()
        defer { Task { await fixture.close() } }
        _ = try fixture.server.create(.configMaps, namespace: "lbd-system", [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "config", "namespace": "lbd-system"],
            "data": ["config": "address-pools: []\n"],
        ])
        // The first status patch meets a conflict: the source re-reads the Service (get) and writes again.
        fixture.server.failNext(count: 1, status: 409, method: "PATCH", pathContaining: "/status")
        try fixture.createService("web")
        let leader = fixture.source(node: "node-a", legacyConfigMap: "config")
        let follower = fixture.source(node: "node-b", legacyConfigMap: "config")
        try await KernelHarness.run(node: Node(name: "node-a"), sources: [leader], announcers: [RecordingAnnouncer()]) { _ in
            _ = try await fixture.waitForIngress("web")
            try await KernelHarness.run(node: Node(name: "node-b"), sources: [follower],
                                        announcers: [RecordingAnnouncer()]) { _ in
                try await withTimeout(.seconds(30), waitingFor: "the follower's first snapshot") {
                    while follower.publishedCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
                }
            }
        }
        let accesses = Set(fixture.server.requestLog.compactMap(Access.init(logLine:)))
        for access in accesses.sorted(by: { $0.description < $1.description }) {
            let allowed = Self.allows(cluster, access)
                || (access.namespace == namespace && Self.allows(namespaced, access))
            #expect(allowed, "the chart's RBAC does not allow: \(access)")
        }
        // The run did exercise what the rules are for.
        let verbs = Set(accesses.map { "\($0.verb) \($0.resource)" })
        for expected in ["get services", "patch services", "patch services/status", "watch services",
                         "create events", "create leases", "update leases", "list configmaps", "list ipaddresspools"] {
            #expect(verbs.contains(expected), "the run made no '\(expected)' request")
        }
    }
}
