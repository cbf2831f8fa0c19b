import Foundation
import KubeTestServer
import NIOHTTP1
import Testing

/// The test server over TLS with AsyncHTTPClient: the verbs, conflicts, the status subresource, auth.
@Suite struct KubeTestServerTests {
    static func service(_ name: String, labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Service",
         "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })],
         "spec": ["type": "LoadBalancer", "ports": [["port": 80]]]]
    }

    static let services = "/api/v1/namespaces/default/services"

    /// Runs `body` with a started TLS server (tokens `admin` full and `viewer` read-only) and a client of it.
    static func withServer(token: String? = "admin",
                           _ body: (KubeTestServer, APITestClient) async throws -> Void) async throws {
        let server = try KubeTestServer(tokens: ["admin": .full, "viewer": .readOnly],
                                        bookmarkInterval: .milliseconds(200))
        try await server.start()
        let client = try APITestClient(server, token: token)
        do {
            try await body(server, client)
        } catch {
            await server.shutdown()
            await client.shutdown()
            throw error
        }
        // The server first: it closes open watch streams, which the client would otherwise wait for.
        await server.shutdown()
        await client.shutdown()
    }

    @Test func createGetListDelete() async throws {
        try await Self.withServer { _, client in
            let created = try await client.send(.POST, Self.services, Self.service("a"))
            #expect(created.status == 201)
            let metadata = try #require(created.body?["metadata"])
            #expect(metadata["uid"]?.stringValue?.isEmpty == false)
            #expect(metadata["creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(metadata["generation"] == 1)
            let version = try #require(metadata["resourceVersion"]?.stringValue.flatMap { Int($0) })

            let again = try await client.send(.POST, Self.services, Self.service("a"))
            #expect(again.status == 409)
            #expect(again.body?["kind"] == "Status")
            #expect(again.body?["reason"] == "AlreadyExists")
            #expect(again.body?["code"] == 409)

            let got = try await client.send(.GET, Self.services + "/a")
            #expect(got.status == 200)
            #expect(got.body?[path: ["metadata", "resourceVersion"]]?.stringValue == String(version))

            let b = try await client.send(.POST, Self.services, Self.service("b"))
            let list = try await client.send(.GET, Self.services)
            #expect(list.body?["kind"] == "ServiceList")
            #expect(list.body?["items"]?.arrayValue?.count == 2)
            #expect(list.body?[path: ["metadata", "resourceVersion"]]
                        == b.body?[path: ["metadata", "resourceVersion"]])

            let precondition = try await client.send(.DELETE, Self.services + "/a",
                                                     ["kind": "DeleteOptions", "apiVersion": "v1",
                                                      "preconditions": ["uid": "someone-else"]])
            #expect(precondition.status == 409)
            let deleted = try await client.send(.DELETE, Self.services + "/a",
                                                ["kind": "DeleteOptions", "apiVersion": "v1",
                                                 "preconditions": ["uid": metadata["uid"]!]])
            #expect(deleted.status == 200)
            let deletedVersion = deleted.body?[path: ["metadata", "resourceVersion"]]?.stringValue.flatMap { Int($0) }
            #expect((deletedVersion ?? 0) > version)
            #expect(try await client.send(.GET, Self.services + "/a").status == 404)
            #expect(try await client.send(.DELETE, Self.services + "/a").body?["reason"] == "NotFound")
        }
    }

    @Test func listAcrossNamespacesWithSelectorsAndPages() async throws {
        try await Self.withServer { _, client in
            for (namespace, name, app) in [("default", "a", "web"), ("default", "b", "db"), ("other", "c", "web"),
                                           ("other", "d", "web"), ("third", "e", "web")] {
                let created = try await client.send(.POST, "/api/v1/namespaces/\(namespace)/services",
                                                    Self.service(name, labels: ["app": app]))
                #expect(created.status == 201)
            }
            let all = try await client.send(.GET, "/api/v1/services")
            #expect(all.body?["items"]?.arrayValue?.count == 5)
            let web = try await client.send(.GET, "/api/v1/services?labelSelector=app%3Dweb")
            #expect(web.body?["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue }
                        == ["a", "c", "d", "e"])
            let notWeb = try await client.send(.GET, "/api/v1/services?labelSelector=app!%3Dweb")
            #expect(notWeb.body?["items"]?.arrayValue?.count == 1)

            var names: [String] = [], token: String? = nil, pages = 0
            repeat {
                let page = try await client.send(.GET, "/api/v1/services?limit=2"
                                                     + (token.map { "&continue=\($0)" } ?? ""))
                #expect(page.status == 200)
                names += page.body?["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue }
                    ?? []
                token = page.body?[path: ["metadata", "continue"]]?.stringValue?
                    .addingPercentEncoding(withAllowedCharacters: .alphanumerics)
                pages += 1
            } while token != nil && pages < 10
            #expect(names == ["a", "b", "c", "d", "e"])
            #expect(pages == 3)
        }
    }

    @Test func updateConflictsOnStaleResourceVersion() async throws {
        try await Self.withServer { _, client in
            let created = try #require(try await client.send(.POST, Self.services, Self.service("a")).body)
            var first = created
            first[path: ["metadata", "labels", "step"]] = "one"
            let updated = try await client.send(.PUT, Self.services + "/a", first)
            #expect(updated.status == 200)
            #expect(updated.body?[path: ["metadata", "labels", "step"]] == "one")
            #expect(updated.body?[path: ["metadata", "generation"]] == 1)   // metadata only: same generation

            var stale = created
            stale[path: ["metadata", "labels", "step"]] = "two"
            let conflict = try await client.send(.PUT, Self.services + "/a", stale)
            #expect(conflict.status == 409)
            #expect(conflict.body?["reason"] == "Conflict")
            #expect(conflict.body?["message"]?.stringValue?.contains("the object has been modified") == true)

            let stalePatch = try await client.send(
                .PATCH, Self.services + "/a",
                ["metadata": ["resourceVersion": created[path: ["metadata", "resourceVersion"]]!]],
                contentType: "application/merge-patch+json")
            #expect(stalePatch.status == 409)
        }
    }

    @Test func mergePatchAndStatusSubresource() async throws {
        try await Self.withServer { _, client in
            _ = try await client.send(.POST, Self.services, Self.service("a", labels: ["keep": "yes", "drop": "x"]))
            let patched = try await client.send(
                .PATCH, Self.services + "/a",
                ["metadata": ["labels": ["drop": .null, "new": "1"]], "spec": ["loadBalancerIP": "10.0.0.9"],
                 "status": ["loadBalancer": ["ingress": [["ip": "6.6.6.6"]]]]],
                contentType: "application/merge-patch+json")
            #expect(patched.status == 200)
            #expect(patched.body?[path: ["metadata", "labels"]] == ["keep": "yes", "new": "1"])
            #expect(patched.body?[path: ["spec", "loadBalancerIP"]] == "10.0.0.9")
            #expect(patched.body?[path: ["metadata", "generation"]] == 2)
            // The main resource ignores status.
            #expect(patched.body?[path: ["status", "loadBalancer"]] == [:])

            let status = try await client.send(
                .PATCH, Self.services + "/a/status",
                ["spec": ["loadBalancerIP": "9.9.9.9"], "status": ["loadBalancer": ["ingress": [["ip": "10.0.0.1"]]]]],
                contentType: "application/strategic-merge-patch+json")
            #expect(status.status == 200)
            #expect(status.body?[path: ["status", "loadBalancer", "ingress"]] == [["ip": "10.0.0.1"]])
            // The status subresource ignores everything else.
            #expect(status.body?[path: ["spec", "loadBalancerIP"]] == "10.0.0.9")

            var whole = try #require(status.body)
            whole[path: ["status", "loadBalancer", "ingress"]] = [["ip": "10.0.0.2"]]
            let put = try await client.send(.PUT, Self.services + "/a/status", whole)
            #expect(put.body?[path: ["status", "loadBalancer", "ingress"]] == [["ip": "10.0.0.2"]])

            let jsonPatch = try await client.send(.PATCH, Self.services + "/a", [["op": "remove"]],
                                                  contentType: "application/json-patch+json")
            #expect(jsonPatch.status == 415)
        }
    }

    @Test func createIgnoresStatusButSeedingKeepsIt() async throws {
        try await Self.withServer { server, client in
            var service = Self.service("a")
            service["status"] = ["loadBalancer": ["ingress": [["ip": "192.0.2.1"]]]]
            let created = try await client.send(.POST, Self.services, service)
            #expect(created.body?["status"] == ["loadBalancer": [:]])
            service[path: ["metadata", "name"]] = "b"
            let seeded = try server.create(.services, namespace: "default", service)
            #expect(seeded[path: ["status", "loadBalancer", "ingress"]] == [["ip": "192.0.2.1"]])
            #expect(try await client.send(.GET, Self.services + "/b").body?["status"] == service["status"])
        }
    }

    @Test func leasesEventsAndMetalLBResources() async throws {
        try await Self.withServer { _, client in
            let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                    "metadata": ["name": "lbd"], "spec": ["holderIdentity": "node-a"]]
            let path = "/apis/coordination.k8s.io/v1/namespaces/lbd/leases"
            #expect(try await client.send(.POST, path, lease).status == 201)
            #expect(try await client.send(.GET, path + "/lbd").body?[path: ["spec", "holderIdentity"]] == "node-a")
            let pool: JSONValue = ["apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                                   "metadata": ["name": "pool"], "spec": ["addresses": ["10.0.0.0/24"]]]
            #expect(try await client.send(.POST, "/apis/metallb.io/v1beta1/namespaces/lbd/ipaddresspools", pool)
                        .status == 201)
            let peer: JSONValue = ["apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": ["name": "p"],
                                   "spec": ["peerAddress": "10.0.0.1", "peerASN": 64512, "myASN": 64513]]
            let created = try await client.send(.POST, "/apis/metallb.io/v1beta2/namespaces/lbd/bgppeers", peer)
            #expect(created.body?[path: ["spec", "peerASN"]] == 64512)
            let node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"]]
            #expect(try await client.send(.POST, "/api/v1/nodes", node).status == 201)
            #expect(try await client.send(.GET, "/api/v1/nodes/n1").status == 200)
            let event: JSONValue = ["apiVersion": "v1", "kind": "Event", "metadata": ["generateName": "a."],
                                    "reason": "IPAllocated", "involvedObject": ["kind": "Service", "name": "a"]]
            let posted = try await client.send(.POST, "/api/v1/namespaces/default/events", event)
            #expect(posted.body?[path: ["metadata", "name"]]?.stringValue?.hasPrefix("a.") == true)
            let byObject = try await client.send(.GET, "/api/v1/namespaces/default/events?fieldSelector="
                                                     + "involvedObject.kind%3DService,involvedObject.name%3Da")
            #expect(byObject.body?["items"]?.arrayValue?.count == 1)
            let other = try await client.send(.GET, "/api/v1/events?fieldSelector=involvedObject.name%3Db")
            #expect(other.body?["items"]?.arrayValue?.count == 0)
            let protobuf = try await client.send(.POST, "/api/v1/namespaces/default/events", event,
                                                 contentType: "application/vnd.kubernetes.protobuf")
            #expect(protobuf.status == 415)
        }
    }

    @Test func discovery() async throws {
        try await Self.withServer { _, client in
            let core = try await client.send(.GET, "/api/v1")
            let names = core.body?["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("services") && names.contains("services/status") && names.contains("nodes"))
            let groups = try await client.send(.GET, "/apis")
            let groupNames = groups.body?["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(groupNames) == ["discovery.k8s.io", "coordination.k8s.io", "events.k8s.io", "metallb.io"])
            let metallb = try await client.send(.GET, "/apis/metallb.io")
            #expect(metallb.body?[path: ["preferredVersion", "version"]] == "v1beta2")
            let v1beta1 = try await client.send(.GET, "/apis/metallb.io/v1beta1")
            #expect(v1beta1.body?["resources"]?.arrayValue?.count == 5)
            #expect(try await client.send(.GET, "/apis/nothing.io/v1").status == 404)
            #expect(try await client.send(.GET, "/api/v1/nothings").status == 404)
        }
    }

    @Test(arguments: [(nil, HTTPMethod.GET, 401), ("wrong", .GET, 401), ("viewer", .GET, 200),
                      ("viewer", .POST, 403), ("viewer", .DELETE, 403), ("admin", .POST, 201)])
    func authentication(token: String?, method: HTTPMethod, expected: Int) async throws {
        try await Self.withServer(token: token) { _, client in
            let path = method == .GET ? Self.services : method == .POST ? Self.services : Self.services + "/a"
            let response = try await client.send(method, path, method == .POST ? Self.service("a") : nil)
            #expect(response.status == expected)
            if expected >= 400 {
                #expect(response.body?["kind"] == "Status")
                #expect(response.body?["status"] == "Failure")
                #expect(response.body?["code"] == .int(Int64(expected)))
                #expect(response.body?["reason"] == (expected == 401 ? "Unauthorized" : "Forbidden"))
            }
        }
    }
}
