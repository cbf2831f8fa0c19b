import Foundation
import KubeTestServer
import LabKit
import LBKernel
import Synchronization

/// The Layer 2 lab's three lbd nodes with the `kubernetes` source instead of the file source, driven by the API test
/// server (issue 5): what a MetalLB user has in a cluster, an IPAddressPool of the lab's IPv4 VIP and an
/// L2Advertisement of it in `lbd-system`, the three Nodes, and Services created with kubectl.
///
/// The server runs in the test process on `127.0.0.1:<port>`; a `NamespaceForwarder` opens that same address inside
/// every node's namespace, so lbd's kubeconfig is the server's own (its URL, its CA, a bearer token). Use it through
/// `withKubeLayer2Cluster`, which always stops the relay and the server.
final class KubeLayer2Cluster: Sendable {
    /// Where the MetalLB objects and the Lease live (the source's `namespace`).
    static let namespace = "lbd-system"
    /// lbd's bearer token.
    static let token = "lbd-layer2-lab"
    /// The Lease that elects the allocating lbd.
    static let leaseName = "lbd-allocator"

    /// The lab.
    let lab: Layer2Lab
    /// The API test server.
    let api: KubeTestServer
    /// kubectl with lbd's kubeconfig, from the test's own namespace.
    let kubectl: Kubectl
    /// lbd on n1, n2, n3.
    let nodes: [LBDNode]
    private let killed = Mutex<Set<String>>([])

    private init(lab: Layer2Lab, api: KubeTestServer, kubectl: Kubectl, nodes: [LBDNode]) {
        self.lab = lab
        self.api = api
        self.kubectl = kubectl
        self.nodes = nodes
    }

    /// The address of the second pool, `more`, which Services ask for with the `metallb.io/address-pool` annotation.
    static let second = IPv4Address(10, 97, 0, 101)
    /// The addresses of the dual-stack pool, `dual`, asked for with the annotation too.
    static let dual = (IPv4Address(10, 97, 0, 102), IPv6Address("fd00:97::102")!)

    /// The configuration objects, as a user would write them: the namespace, the three Nodes, a pool of the lab's
    /// IPv4 VIP alone (so the address a Service gets is known), pools `more` of `second` and `dual` of `dual`, and
    /// an L2Advertisement of the three.
    static let manifests = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: \(namespace)}
        ---
        \(Layer2Lab.nodeNames.map { "apiVersion: v1\nkind: Node\nmetadata: {name: \($0), labels: {kubernetes.io/hostname: \($0)}}\n" }.joined(separator: "---\n"))\
        ---
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: vips, namespace: \(namespace)}
        spec:
          addresses: [\(Layer2Lab.vip4)/32]
        ---
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: more, namespace: \(namespace)}
        spec:
          addresses: [\(second)/32]
          autoAssign: false
        ---
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: dual, namespace: \(namespace)}
        spec:
          addresses: [\(dual.0)/32, "\(dual.1)/128"]
          autoAssign: false
        ---
        apiVersion: metallb.io/v1beta1
        kind: L2Advertisement
        metadata: {name: lan, namespace: \(namespace)}
        spec:
          ipAddressPools: [vips, more, dual]

        """

    /// lbd's `plugins.d` file for the source: the lab's kubeconfig, Lease timing short enough for a test.
    func sourcePlugin() -> String {
        """
        plugin: kubernetes
        name: cluster
        kubeconfig: \(lab.file("kubeconfig").path)
        namespace: \(Self.namespace)
        leaderElection: {enabled: true, leaseName: \(Self.leaseName), leaseDuration: 2s, renewDeadline: 1500ms, retryPeriod: 200ms}

        """
    }

    /// A LoadBalancer Service `name` in `default` (UDP to the echo servers' port, IPv4, externalTrafficPolicy
    /// Cluster; from `pool` when given, with the `metallb.io/address-pool` annotation; RequireDualStack with
    /// `dualStack`) and its EndpointSlice with one ready endpoint on `endpointNode`: with no ready endpoint anywhere a
    /// Cluster service is announced nowhere (metallb.md). A dual-stack Service names its cluster IPs, one per family,
    /// as a dual-stack cluster assigns them.
    static func service(_ name: String, endpointNode: String, pool: String? = nil, dualStack: Bool = false)
        -> String {
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: \(name)-1
          namespace: default
          labels: {kubernetes.io/service-name: \(name)}
        addressType: IPv4
        endpoints:
        - addresses: [10.244.0.10]
          conditions: {ready: true, serving: true, terminating: false}
          nodeName: \(endpointNode)
        ports:
        - {port: \(Layer2Lab.echoPort), protocol: UDP}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
          namespace: default
          annotations: {\(pool.map { "metallb.io/address-pool: \($0)" } ?? "")}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: Cluster
        \(dualStack ? """
              clusterIP: 10.96.200.20
              clusterIPs: [10.96.200.20, "fd00:96::20"]
              ipFamilyPolicy: RequireDualStack
              ipFamilies: [IPv4, IPv6]
            """ : """
              ipFamilyPolicy: SingleStack
              ipFamilies: [IPv4]
            """)
          selector: {app: \(name)}
          ports:
          - {port: \(Layer2Lab.echoPort), protocol: UDP}

        """
    }

    /// Starts the server, the relay, kubectl, writes the objects and lbd's files, and (unless `first` is nil) starts
    /// lbd with `start(first:)`. Runs `body`, then always stops the relay and the server (the lab kills lbd).
    static func with<T>(_ lab: Layer2Lab, first: String? = "n1", isolation: isolated (any Actor)? = #isolation,
                        _ body: (KubeLayer2Cluster) async throws -> T) async throws -> T {
        let api = try KubeTestServer(tokens: [token: .full])
        try await api.start()
        let forwarder: NamespaceForwarder
        do {
            forwarder = try await NamespaceForwarder.start(port: api.port, into: lab.nodes.map(\.namespace),
                                                           directory: lab.directory)
        } catch {
            await api.shutdown()
            throw error
        }
        let result: Result<T, any Error>
        do {
            try api.kubeconfig(token: token).write(to: lab.file("kubeconfig"), atomically: true, encoding: .utf8)
            let kubectl = try Kubectl(kubeconfig: lab.file("kubeconfig"), directory: lab.file("kubectl"))
            try await kubectl.create("config", manifests)
            let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            try (key + "\n").write(to: lab.file("heartbeat.key"), atomically: true, encoding: .utf8)
            let nodes = try lab.nodes.map { try LBDNode(lab: lab, host: $0) }
            let cluster = KubeLayer2Cluster(lab: lab, api: api, kubectl: kubectl, nodes: nodes)
            for node in nodes {
                let plugins = node.directory.appendingPathComponent("plugins.d")
                try FileManager.default.removeItem(at: plugins.appendingPathComponent("files.yaml"))
                try cluster.sourcePlugin().write(to: plugins.appendingPathComponent("kubernetes.yaml"),
                                                 atomically: true, encoding: .utf8)
            }
            if let first { try await cluster.start(first: first) }
            result = .success(try await body(cluster))
        } catch {
            result = .failure(error)
        }
        await forwarder.stop()
        await api.shutdown()
        return try result.get()
    }

    /// Starts lbd on node `first` alone and waits until it holds the Lease (so the others only follow), then on the
    /// others; waits until every node is ready and hears the others.
    func start(first: String) async throws {
        try node(first).start()
        try await waitForLeaseHolder(first)
        for node in nodes where node.host.name != first { try node.start() }
        try await waitUntilReady()
    }

    /// lbd on node `name`.
    func node(_ name: String) -> LBDNode {
        guard let node = nodes.first(where: { $0.host.name == name }) else { preconditionFailure("no node \(name)") }
        return node
    }

    /// Throws, with lbd's log, when lbd has exited on a node where it was started and not killed by `kill`.
    func requireRunning() throws {
        let killed = self.killed.withLock { $0 }
        for node in nodes where node.current != nil && !killed.contains(node.host.name) { try node.requireRunning() }
    }

    /// Kills lbd on node `name` with SIGKILL (`kill -9`: no lease released, no goodbye) and waits until it is gone.
    func kill(_ name: String) async {
        killed.withLock { _ = $0.insert(name) }
        await node(name).kill()
    }

    /// The Lease's `spec.holderIdentity`, or nil while there is no Lease or no holder.
    var leaseHolder: String? {
        api.object(.leases, namespace: Self.namespace, name: Self.leaseName)?[path: ["spec", "holderIdentity"]]?
            .stringValue
    }

    /// Waits (bounded) until the Lease names node `name` as its holder (the identity is the node's name, or starts
    /// with it).
    func waitForLeaseHolder(_ name: String, within limit: Duration = .seconds(30)) async throws {
        try await poll("the Lease \(Self.namespace)/\(Self.leaseName) held by \(name)", within: limit,
                       every: .milliseconds(50), abortIf: { try requireRunning() },
                       observe: { leaseHolder }, until: { $0 == name || $0?.hasPrefix(name + "_") == true },
                       describe: { $0 ?? "no holder" })
    }

    /// Waits (bounded) until every node's status is ready and it hears the two others.
    func waitUntilReady(within limit: Duration = .seconds(30)) async throws {
        let all = Set(Layer2Lab.nodeNames)
        try await poll("every node ready, hearing the others", within: limit, every: .milliseconds(50),
                       abortIf: { try requireRunning() },
                       observe: { try nodes.map { try $0.status() } }, until: { statuses in
            statuses.allSatisfy { status in
                guard let status else { return false }
                return status.ready && Set(status.live) == all.subtracting([status.node])
            }
        }, describe: { $0.map { $0.map { "\($0)" } ?? "no status" }.joined(separator: " | ") })
    }

    /// The addresses in Service `default/name`'s `status.loadBalancer.ingress`, or nil when there is no such Service.
    func ingress(_ name: String) -> [String]? { api.serviceIngress(name: name) }

    /// Waits (bounded) until Service `default/name` has addresses in its status, and returns them.
    func waitForIngress(_ name: String, within limit: Duration = .seconds(30)) async throws -> [String] {
        try await poll("addresses in default/\(name)'s status.loadBalancer.ingress", within: limit,
                       every: .milliseconds(20), abortIf: { try requireRunning() },
                       observe: { ingress(name) }, until: { !($0 ?? []).isEmpty }, describe: {
            ($0.map { "ingress \($0)" } ?? "no such Service") + "; events: \(events(of: name))"
        }) ?? []
    }

    /// The Events about Service `default/name`, `reason: message` (what `kubectl describe service` shows).
    func events(of name: String) -> [String] {
        api.serviceEvents(name: name).map { "\($0["reason"]?.stringValue ?? "?"): \($0["message"]?.stringValue ?? "")" }
    }

    /// Waits (bounded) until the status of every node in `live` (default: all) hears exactly the other nodes in
    /// `live` and lists `service` with `owner` as its owner (`owned` on the owner, `standby` elsewhere).
    func waitForOwner(_ owner: String, of service: String, live: [String] = Layer2Lab.nodeNames,
                      within limit: Duration = .seconds(30)) async throws {
        let names = Set(live)
        try await poll("nodes \(live) to see \(owner) owning \(service)", within: limit, every: .milliseconds(50),
                       abortIf: { for name in live { try node(name).requireRunning() } },
                       observe: { try live.map { try node($0).status() } }, until: { statuses in
            statuses.allSatisfy { status in
                guard let status, let entry = status.service(service) else { return false }
                return Set(status.live) == names.subtracting([status.node]) && entry.owner == owner
                    && entry.state == (status.node == owner ? "owned" : "standby")
            }
        }, describe: { $0.map { $0.map { "\($0)" } ?? "no status" }.joined(separator: " | ") })
    }

    /// Waits (bounded) until arping from the client hears exactly `owner` for `address` (one request, one answer).
    func waitForARP(_ address: IPv4Address, answeredOnlyBy owner: LabHost,
                    within limit: Duration = .seconds(30)) async throws {
        try await poll("arping \(address) from the client to hear only \(owner)", within: limit,
                       every: .milliseconds(50),
                       observe: { try await NeighborQueries.arping(lab, from: lab.client, address, count: 1) },
                       until: { $0 == [owner.mac] })
    }

    /// Waits (bounded) until ndisc6 from the client hears exactly `owner` for `address`.
    func waitForNDP(_ address: IPv6Address, answeredOnlyBy owner: LabHost,
                    within limit: Duration = .seconds(30)) async throws {
        try await poll("ndisc6 \(address) from the client to hear only \(owner)", within: limit,
                       every: .milliseconds(50),
                       observe: { try await NeighborQueries.ndisc6(lab, from: lab.client, address) },
                       until: { !$0.isEmpty && $0.allSatisfy { $0 == owner.mac } })
    }

    /// Waits (bounded) until no node's status lists `service`.
    func waitUntilNoneHolds(_ service: String, within limit: Duration = .seconds(30)) async throws {
        try await poll("no node to list \(service)", within: limit, every: .milliseconds(50),
                       abortIf: { try requireRunning() },
                       observe: { try nodes.map { try $0.status() } },
                       until: { $0.allSatisfy { $0?.service(service) == nil } },
                       describe: { $0.map { $0.map { "\($0)" } ?? "no status" }.joined(separator: " | ") })
    }
}

/// Runs `body` with the Layer 2 lab's three lbd nodes driven by the API test server (`KubeLayer2Cluster.with`) in
/// a fresh lab (`withLayer2Lab`): everything is stopped and removed afterwards, whatever `body` does.
func withKubeLayer2Cluster<T>(first: String? = "n1", isolation: isolated (any Actor)? = #isolation,
                              _ body: (KubeLayer2Cluster) async throws -> T) async throws -> T {
    try await withLayer2Lab { lab in
        try await KubeLayer2Cluster.with(lab, first: first) { try await body($0) }
    }
}
