import Foundation
import KubeTestServer
import LabKit
import Synchronization

/// One test's cluster: an in-process KubeTestServer (TLS, one token), its kubeconfig, the base objects (namespaces,
/// nodes), MetalLB configuration in ``namespace``, Services in ``serviceNamespace``, and the lbd processes the test
/// starts (all stopped by ``shutdown()``).
final class KubeCluster: Sendable {
    /// Where lbd's configuration objects and its Lease live.
    static let namespace = "lbd-system"
    /// Where the tests' Services live.
    static let serviceNamespace = "default"
    /// The Lease lbd takes to allocate.
    static let leaseName = "lbd-allocator"
    /// How long a test waits for a condition by default.
    static let wait: Duration = .seconds(30)

    /// The API server.
    let server: KubeTestServer
    /// The bearer token lbd uses.
    let token: String
    /// The test's directory (kubeconfig, one subdirectory per lbd).
    let directory: URL
    private let processes = Mutex<[LBDProcess]>([])
    private let clusterIPs = Mutex(0)

    private init(server: KubeTestServer, token: String, directory: URL) {
        self.server = server
        self.token = token
        self.directory = directory
    }

    /// Starts a server in a new temporary directory, writes its kubeconfig and seeds the base objects.
    static func start() async throws -> KubeCluster {
        let token = "lbd-" + UUID().uuidString.lowercased()
        let server = try KubeTestServer(tokens: [token: .full], historyLimit: 20_000)
        try await server.start()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lbdk-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = KubeCluster(server: server, token: token, directory: directory)
        try server.kubeconfig(token: token, namespace: namespace)
            .write(to: cluster.kubeconfigFile, atomically: true, encoding: .utf8)
        try cluster.seedBase()
        return cluster
    }

    /// The kubeconfig file lbd reads.
    var kubeconfigFile: URL { directory.appendingPathComponent("kubeconfig") }

    /// Creates what every cluster has: the namespaces `default` and ``namespace``, Nodes `node-a` to `node-c`
    /// (Ready) and an L2Advertisement for every pool. Called again after ``KubeTestServer/restart()``.
    func seedBase() throws {
        for name in [Self.serviceNamespace, Self.namespace] {
            try server.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace",
                                            "metadata": ["name": .string(name),
                                                         "labels": ["kubernetes.io/metadata.name": .string(name)]]])
        }
        for (index, name) in ["node-a", "node-b", "node-c"].enumerated() {
            try server.create(.nodes, [
                "apiVersion": "v1", "kind": "Node",
                "metadata": ["name": .string(name), "labels": ["kubernetes.io/hostname": .string(name)]],
                "status": [
                    "conditions": [["type": "Ready", "status": "True"]],
                    "addresses": [["type": "InternalIP", "address": .string("172.18.0.\(index + 2)")]],
                ],
            ])
        }
        try server.create(.l2Advertisements, namespace: Self.namespace, [
            "apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
            "metadata": ["name": "all", "namespace": .string(Self.namespace)], "spec": [:],
        ])
    }

    // MARK: lbd processes

    /// Writes the files of an lbd for `node` (see ``LBDProcess``), starts it when `start`, and stops it at
    /// ``shutdown()``.
    @discardableResult
    func lbd(_ node: String, start: Bool = true, logLevel: String = "debug", sourceExtra: String = "") throws
        -> LBDProcess {
        let process = try LBDProcess(node: node, directory: directory.appendingPathComponent(node),
                                     kubeconfig: kubeconfigFile, namespace: Self.namespace, logLevel: logLevel,
                                     sourceExtra: sourceExtra)
        processes.withLock { $0.append(process) }
        if start { try process.start() }
        return process
    }

    /// Throws when an lbd the test did not stop has exited: waits end at once instead of timing out.
    func requireRunning() throws {
        for process in processes.withLock({ $0 }) { try process.requireRunning() }
    }

    /// The tail of every lbd's log, for failure messages.
    func logTails(_ count: Int = 40) -> String {
        processes.withLock { $0 }.map { "--- \($0) log \($0.logFile.path) (last \(count) lines):\n\($0.logTail(count))" }
            .joined(separator: "\n")
    }

    /// Stops every lbd (SIGTERM, then SIGKILL) and the server; removes the directory unless `keepFiles`.
    func shutdown(keepFiles: Bool = false) async {
        for process in processes.withLock({ $0 }) { await process.cleanUp() }
        await server.shutdown()
        if !keepFiles { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: MetalLB configuration

    /// Creates an IPAddressPool; `spec` adds fields (`avoidBuggyIPs`, `serviceAllocation`).
    func createPool(_ name: String, _ addresses: [String], autoAssign: Bool = true, spec more: JSONValue = [:])
        throws {
        var spec: JSONValue = ["addresses": .array(addresses.map { .string($0) })]
        if !autoAssign { spec["autoAssign"] = false }
        spec = spec.mergePatched(with: more)
        try server.create(.ipAddressPools, namespace: Self.namespace, [
            "apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": ["name": .string(name), "namespace": .string(Self.namespace)], "spec": spec,
        ])
    }

    /// Replaces a pool's `spec.addresses`.
    func setPoolAddresses(_ name: String, _ addresses: [String]) throws {
        try server.patch(.ipAddressPools, namespace: Self.namespace, name: name,
                         ["spec": ["addresses": .array(addresses.map { .string($0) })]])
    }

    /// Deletes a pool.
    func deletePool(_ name: String) throws {
        try server.delete(.ipAddressPools, namespace: Self.namespace, name: name)
    }

    // MARK: Services

    /// Creates a Service (through the store, which notifies watches as an HTTP create does).
    func create(_ service: TestService) throws {
        let n = clusterIPs.withLock { $0 += 1; return $0 }
        let v4 = "10.97.\(n / 256).\(n % 256)"
        let v6 = "fd00:97::" + String(n, radix: 16)
        try server.create(.services, namespace: service.namespace, service.json(v4: v4, v6: v6))
    }

    /// Deletes a Service.
    func deleteService(_ name: String, namespace: String = serviceNamespace) throws {
        try server.delete(.services, namespace: namespace, name: name)
    }

    /// Applies a merge patch to a Service.
    func patchService(_ name: String, _ patch: JSONValue, namespace: String = serviceNamespace) throws {
        try server.patch(.services, namespace: namespace, name: name, patch)
    }

    /// Creates a Namespace with `labels`.
    func createNamespace(_ name: String, labels: [String: String] = [:]) throws {
        var all = labels
        all["kubernetes.io/metadata.name"] = name
        try server.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace",
                                        "metadata": ["name": .string(name), "labels": .object(all.mapValues { .string($0) })]])
    }

    /// Creates an EndpointSlice for a Service with one ready endpoint on `node`.
    func createReadyEndpoint(for name: String, node: String, address: String = "10.244.0.5",
                             namespace: String = serviceNamespace) throws {
        try server.create(.endpointSlices, namespace: namespace, [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": .string("\(name)-1"), "namespace": .string(namespace),
                         "labels": ["kubernetes.io/service-name": .string(name)]],
            "addressType": "IPv4",
            "endpoints": [["addresses": [.string(address)], "nodeName": .string(node),
                           "conditions": ["ready": true, "serving": true, "terminating": false]]],
            "ports": [["name": "p0", "protocol": "TCP", "port": 80]],
        ])
    }

    /// The Service, or nil.
    func service(_ name: String, namespace: String = serviceNamespace) -> JSONValue? {
        server.object(.services, namespace: namespace, name: name)
    }

    /// The addresses in a Service's `status.loadBalancer.ingress` (empty when none or no such service).
    func ingress(_ name: String, namespace: String = serviceNamespace) -> [String] {
        Self.ingress(of: service(name, namespace: namespace))
    }

    /// The addresses in `status.loadBalancer.ingress` of `object`.
    static func ingress(of object: JSONValue?) -> [String] {
        (object?[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
    }

    /// A Service's annotation `key`, or nil.
    func annotation(_ name: String, _ key: String, namespace: String = serviceNamespace) -> String? {
        service(name, namespace: namespace)?[path: ["metadata", "annotations", key]]?.stringValue
    }

    /// The `metallb.io/ip-allocated-from-pool` annotation of a Service.
    func allocatedPool(_ name: String, namespace: String = serviceNamespace) -> String? {
        annotation(name, "metallb.io/ip-allocated-from-pool", namespace: namespace)
    }

    /// Every Service in ``serviceNamespace`` with its ingress addresses.
    func allIngress(namespace: String = serviceNamespace) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for object in server.objects(.services, namespace: namespace) {
            if let name = object[path: ["metadata", "name"]]?.stringValue { result[name] = Self.ingress(of: object) }
        }
        return result
    }

    /// The Events about a Service (core v1, matched by `involvedObject`), optionally only of `reason`.
    func events(_ name: String, reason: String? = nil, namespace: String = serviceNamespace) -> [JSONValue] {
        server.serviceEvents(namespace: namespace, name: name, reason: reason)
    }

    /// `reason: message` of each Event about a Service, for failure messages.
    func eventSummary(_ name: String, namespace: String = serviceNamespace) -> String {
        let lines = events(name, namespace: namespace).map {
            "\($0["type"]?.stringValue ?? "?") \($0["reason"]?.stringValue ?? "?"): \($0["message"]?.stringValue ?? "")"
        }
        return lines.isEmpty ? "no events" : lines.joined(separator: "; ")
    }

    /// The Lease's `spec.holderIdentity`, or nil when there is no Lease or no holder.
    var leaseHolder: String? {
        guard let holder = server.object(.leases, namespace: Self.namespace, name: Self.leaseName)?[
            path: ["spec", "holderIdentity"]]?.stringValue, !holder.isEmpty else { return nil }
        return holder
    }

    // MARK: Waits

    /// Waits until a Service's ingress has `count` addresses and returns them.
    @discardableResult
    func waitForIngress(_ name: String, count: Int = 1, namespace: String = serviceNamespace,
                        within limit: Duration = wait) async throws -> [String] {
        try await poll("\(count) address(es) in the status of service \(namespace)/\(name)", within: limit,
                       abortIf: { try requireRunning() },
                       observe: { ingress(name, namespace: namespace) }, until: { $0.count == count },
                       describe: { "ingress \($0); events: \(eventSummary(name, namespace: namespace))" })
    }

    /// Waits until a Service's ingress is exactly `expected` (in this order).
    func waitForIngress(_ name: String, equal expected: [String], namespace: String = serviceNamespace,
                        within limit: Duration = wait) async throws {
        try await poll("service \(namespace)/\(name) to have ingress \(expected)", within: limit,
                       abortIf: { try requireRunning() },
                       observe: { ingress(name, namespace: namespace) }, until: { $0 == expected },
                       describe: { "ingress \($0); events: \(eventSummary(name, namespace: namespace))" })
    }

    /// Waits until a Service's ingress is empty.
    func waitForNoIngress(_ name: String, namespace: String = serviceNamespace,
                          within limit: Duration = wait) async throws {
        try await poll("service \(namespace)/\(name) to have no address", within: limit,
                       abortIf: { try requireRunning() },
                       observe: { ingress(name, namespace: namespace) }, until: { $0.isEmpty },
                       describe: { "ingress \($0); events: \(eventSummary(name, namespace: namespace))" })
    }

    /// Waits for an Event of `reason` about a Service and returns it.
    @discardableResult
    func waitForEvent(_ name: String, reason: String, namespace: String = serviceNamespace,
                      within limit: Duration = wait) async throws -> JSONValue {
        try await poll("a \(reason) event about service \(namespace)/\(name)", within: limit,
                       abortIf: { try requireRunning() },
                       observe: { events(name, reason: reason, namespace: namespace) }, until: { !$0.isEmpty },
                       describe: { _ in "events: \(eventSummary(name, namespace: namespace))" }).first!
    }

    /// Waits until a Service's `metallb.io/ip-allocated-from-pool` is `pool` (nil: absent).
    func waitForAllocatedPool(_ name: String, _ pool: String?, namespace: String = serviceNamespace,
                              within limit: Duration = wait) async throws {
        try await poll("service \(namespace)/\(name) to have ip-allocated-from-pool \(pool ?? "absent")",
                       within: limit, abortIf: { try requireRunning() },
                       observe: { allocatedPool(name, namespace: namespace) }, until: { $0 == pool },
                       describe: { "annotation \($0 ?? "absent"), ingress \(ingress(name, namespace: namespace))" })
    }

    /// Waits until some lbd holds the Lease and returns the holder's identity.
    @discardableResult
    func waitForLeaseHolder(other previous: String? = nil, within limit: Duration = wait) async throws
        -> String {
        try await poll("a holder of Lease \(Self.namespace)/\(Self.leaseName)"
                       + (previous.map { " other than \($0)" } ?? ""), within: limit,
                       abortIf: { try requireRunning() },
                       observe: { leaseHolder }, until: { $0 != nil && $0 != previous },
                       describe: { "holder \($0 ?? "none")" })!
    }
}

/// Runs `body` with a started cluster, one test at a time (through LabGate: lbd processes and the 1,000-service
/// test must not share two cores with another lab), and always shuts it down. A failure carries every lbd's log
/// tail, and keeps the files.
func withCluster(_ body: (KubeCluster) async throws -> Void) async throws {
    await LabGate.shared.acquire()
    let cluster: KubeCluster
    do {
        cluster = try await KubeCluster.start()
    } catch {
        await LabGate.shared.release()
        throw error
    }
    do {
        try await body(cluster)
    } catch {
        let logs = cluster.logTails()
        await cluster.shutdown(keepFiles: true)
        await LabGate.shared.release()
        throw LabError("\(error)\n(files kept in \(cluster.directory.path))\n\(logs)")
    }
    await cluster.shutdown()
    await LabGate.shared.release()
}
