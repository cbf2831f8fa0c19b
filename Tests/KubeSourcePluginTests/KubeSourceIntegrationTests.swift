// KubeSourceIntegrationTests: the `kubernetes` source in-process, inside a real kernel, against KubeTestServer:
// status written, leader and follower, the configuration's problems. The lbd binary is tested end to end in
// KubeSourceE2ETests.
import Foundation
@testable import KubeSourcePlugin
import KubeTestServer
import LBKernel
import LBKernelTestKit
import Logging
import Testing

/// A test server seeded with a pool, and `KubeSource`s for it.
struct KubeSourceFixture {
    let server: KubeTestServer
    let directory: String

    init() async throws {
        server = try KubeTestServer(tokens: ["t0ken": .full])
        try await server.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lbd-kube-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try server.kubeconfig(token: "t0ken").write(toFile: directory + "/kubeconfig", atomically: true, encoding: .utf8)
        _ = try server.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "lbd-system"]])
        _ = try server.create(.ipAddressPools, namespace: "lbd-system", [
            "apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": ["name": "pool", "namespace": "lbd-system"],
            "spec": ["addresses": ["10.20.0.0/30"]],
        ])
        _ = try server.create(.l2Advertisements, namespace: "lbd-system", [
            "apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
            "metadata": ["name": "l2", "namespace": "lbd-system"],
        ])
    }

    func close() async {
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func source(node: String, leaderElection: Bool = true, legacyConfigMap: String? = nil) -> KubeSource {
        var logger = Logger(label: "lbd.kubernetes.test")
        logger.logLevel = .warning
        let configuration = KubeSource.Configuration(
            kubeconfig: "kubeconfig", namespace: "lbd-system", legacyConfigMap: legacyConfigMap,
            leaderElection: .init(enabled: leaderElection, leaseDuration: GoDuration(seconds: 2),
                                  renewDeadline: GoDuration(nanoseconds: 1_500_000_000),
                                  retryPeriod: GoDuration(nanoseconds: 100_000_000)))
        return try! KubeSource(configuration: configuration,
                          context: PluginContext(instanceName: "cluster", logger: logger, node: Node(name: node),
                                                 baseDirectory: directory))
    }

    func createService(_ name: String) throws {
        _ = try server.create(.services, namespace: "default", [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["type": "LoadBalancer", "ports": [["port": 80, "protocol": "TCP"]]],
        ])
        // A ready endpoint: traffic policy Cluster announces only services that have one.
        _ = try server.create(.endpointSlices, namespace: "default", [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": ["name": .string(name + "-1"), "namespace": "default",
                         "labels": ["kubernetes.io/service-name": .string(name)]],
            "endpoints": [["addresses": ["10.244.0.5"], "conditions": ["ready": true], "nodeName": "node-a"]],
        ])
    }

    func ingress(_ name: String) -> [String] {
        server.serviceIngress(name: name) ?? []
    }

    func waitForIngress(_ name: String, _ condition: @escaping @Sendable ([String]) -> Bool = { !$0.isEmpty }) async throws -> [String] {
        try await withTimeout(.seconds(30), waitingFor: "status.loadBalancer.ingress of \(name)") {
            while !condition(ingress(name)) { try await Task.sleep(for: .milliseconds(10)) }
            return ingress(name)
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct KubeSourceIntegrationTests {
    @Test func theLeaderWritesStatusAnnotationAndEventAndTheFollowerAnnouncesTheSame() async throws {
        let fixture = try await KubeSourceFixture()
        defer { Task { await fixture.close() } }
        try fixture.createService("web")
        let leader = fixture.source(node: "node-a")
        let leaderAnnouncer = RecordingAnnouncer()
        try await KernelHarness.run(node: Node(name: "node-a"), sources: [leader], announcers: [leaderAnnouncer]) { _ in
            let ingress = try await fixture.waitForIngress("web")
            #expect(ingress == ["10.20.0.0"])
            // The annotation is patched after the status, and events go out beside them.
            try await withTimeout(.seconds(30), waitingFor: "the pool annotation and the IPAllocated event") {
                while fixture.server.object(.services, namespace: "default", name: "web")?[
                    path: ["metadata", "annotations", "metallb.io/ip-allocated-from-pool"]]?.stringValue != "pool"
                    || fixture.server.serviceEvents(name: "web", reason: "IPAllocated").isEmpty {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            let lease = fixture.server.object(.leases, namespace: "lbd-system", name: "lbd-allocator")
            #expect(lease?[path: ["spec", "holderIdentity"]]?.stringValue?.hasPrefix("node-a_") == true)

            // A second lbd follows: it announces what the status says and writes nothing.
            let follower = fixture.source(node: "node-b")
            let followerAnnouncer = RecordingAnnouncer()
            try await KernelHarness.run(node: Node(name: "node-b"), sources: [follower],
                                        announcers: [followerAnnouncer]) { _ in
                let set = try await followerAnnouncer.waitForSet { !$0.services.isEmpty }
                #expect(set.services.values.map { $0.addresses.map(\.description) } == [["10.20.0.0"]])
                #expect(!follower.isAllocating)
            }
        }
    }

    @Test func aFollowerNeverAnnouncesAnAddressTheLeaderDidNotWrite() async throws {
        let fixture = try await KubeSourceFixture()
        defer { Task { await fixture.close() } }
        // A Lease held by another, live lbd: this one must only follow.
        _ = try fixture.server.create(.leases, namespace: "lbd-system", [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": "lbd-allocator", "namespace": "lbd-system"],
            "spec": ["holderIdentity": "other_1", "leaseDurationSeconds": 3600,
                     "renewTime": "2026-01-01T00:00:00.000000Z"],
        ])
        try fixture.createService("web")
        let source = fixture.source(node: "node-a")
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(node: Node(name: "node-a"), sources: [source], announcers: [announcer]) { _ in
            try await withTimeout(.seconds(30), waitingFor: "a first snapshot") {
                while source.publishedCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(fixture.ingress("web").isEmpty, "a follower wrote status")
            // The "leader" writes a status: the follower announces exactly that address.
            _ = try fixture.server.patch(.services, namespace: "default", name: "web",
                                         ["status": ["loadBalancer": ["ingress": [["ip": "10.20.0.3"]]]]],
                                         status: true)
            let set = try await announcer.waitForSet { !$0.services.isEmpty }
            #expect(set.services.values.map { $0.addresses.map(\.description) } == [["10.20.0.3"]])
        }
    }
}
