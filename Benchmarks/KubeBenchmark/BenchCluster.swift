import Foundation
import KubeTestServer
import LabKit
#if canImport(Glibc)
import Glibc
#endif

/// The cluster the benchmark runs: the API test server in this process (TLS, one token), its seed objects (the
/// namespaces, the node, the address pool and an L2Advertisement), and one lbd process with the Kubernetes source
/// and the log announcer, its files in a temporary directory.
final class BenchCluster: Sendable {
    /// lbd's namespace: the metallb.io objects and the Lease.
    static let systemNamespace = "lbd-system"
    /// The node lbd runs as.
    static let nodeName = "bench-node"
    /// The Lease that says which lbd allocates.
    static let leaseName = "lbd-allocator"
    /// The pool: RFC 2544's benchmarking block (room for 65,536 Services) and an IPv6 /112.
    static let poolAddresses = ["198.18.0.0/16", "fd00:96::/112"]

    let server: KubeTestServer
    let client: APIClient
    /// The temporary directory with lbd's files and log.
    let directory: URL
    let lbd: LabProcess

    private init(server: KubeTestServer, client: APIClient, directory: URL, lbd: LabProcess) {
        self.server = server
        self.client = client
        self.directory = directory
        self.lbd = lbd
    }

    /// Starts the server, seeds it, writes lbd's files and starts lbd (`binary`); `namespaces` are created for the
    /// benchmark's Services; `coalescing` is lbd's `coalescingDelay` in milliseconds.
    static func start(lbd binary: String, namespaces: [String], coalescing: Int) async throws -> BenchCluster {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("lbd is not at \(binary): build it with `swift build -c release --product lbd "
                             + "--scratch-path .build-release` or pass --lbd PATH")
        }
        let token = "bench-" + UUID().uuidString.lowercased()
        let server = try KubeTestServer(tokens: [token: .full], tls: true, historyLimit: 100_000)
        try await server.start()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lbd-kube-bench-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            try seed(server, namespaces: namespaces)
            try writeFiles(in: directory, kubeconfig: server.kubeconfig(token: token, namespace: systemNamespace),
                           coalescing: coalescing)
            let lbd = try LabProcess(name: "lbd", command: [binary, "run", "--config",
                                                            directory.appendingPathComponent("lbd.yaml").path],
                                     logFile: directory.appendingPathComponent("lbd.log"))
            let client = try APIClient(host: "127.0.0.1", port: server.port, token: token, caPEM: server.caPEM)
            return BenchCluster(server: server, client: client, directory: directory, lbd: lbd)
        } catch {
            await server.shutdown()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private static func seed(_ server: KubeTestServer, namespaces: [String]) throws {
        for namespace in [systemNamespace] + namespaces {
            try server.create(.namespaces, ["metadata": ["name": .string(namespace)]])
        }
        try server.create(.nodes, [
            "metadata": ["name": .string(nodeName), "labels": ["kubernetes.io/hostname": .string(nodeName)]],
            "status": ["conditions": [["type": "Ready", "status": "True"]],
                       "addresses": [["type": "InternalIP", "address": "127.0.0.1"]]],
        ])
        try server.create(.ipAddressPools, namespace: systemNamespace, [
            "metadata": ["name": "bench"],
            "spec": ["addresses": .array(poolAddresses.map { .string($0) })],
        ])
        try server.create(.l2Advertisements, namespace: systemNamespace, [
            "metadata": ["name": "bench"],
            "spec": ["ipAddressPools": ["bench"]],
        ])
    }

    private static func writeFiles(in directory: URL, kubeconfig: String, coalescing: Int) throws {
        let plugins = directory.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        func write(_ path: String, _ text: String) throws {
            try text.write(to: directory.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        try write("kubeconfig", kubeconfig)
        try write("lbd.yaml", """
            node:
              name: \(nodeName)
            pluginsDirectory: plugins.d
            coalescingDelay: \(coalescing)ms
            logLevel: warning

            """)
        try write("plugins.d/kubernetes.yaml", """
            plugin: kubernetes
            name: cluster
            kubeconfig: \(directory.appendingPathComponent("kubeconfig").path)
            namespace: \(systemNamespace)
            leaderElection:
              enabled: true
              leaseName: \(leaseName)
              leaseDuration: 2s
              renewDeadline: 1500ms
              retryPeriod: 200ms

            """)
        // lbd needs an announcer; the log announcer prints the desired set's changes (to lbd.log) and touches no
        // network.
        try write("plugins.d/log.yaml", """
            plugin: log
            name: log

            """)
    }

    /// Throws, with lbd's log, when lbd has exited.
    @Sendable func requireRunning() throws {
        do { try lbd.requireRunning() } catch let error as LabError { throw BenchError(error.description) }
    }

    /// The Lease's holder, or nil while nobody holds it.
    var leaseHolder: String? {
        let lease = server.object(.leases, namespace: Self.systemNamespace, name: Self.leaseName)
        guard let holder = lease?[path: ["spec", "holderIdentity"]]?.stringValue, !holder.isEmpty else { return nil }
        return holder
    }

    /// Waits (bounded) until lbd holds the Lease and returns the holder's identity.
    func waitForLease(within limit: Duration = .seconds(60)) async throws -> String {
        try await poll("lbd to hold the Lease \(Self.systemNamespace)/\(Self.leaseName)", within: limit,
                       every: .milliseconds(20), abortIf: { try requireRunning() }) { leaseHolder }
    }

    /// Stops lbd (SIGTERM, then SIGKILL after 10 s; only its own pid), the server, and removes the temporary
    /// directory unless `keep`.
    func stop(keep: Bool) async {
        await lbd.stop(SIGTERM, grace: .seconds(10))
        await server.shutdown()
        if keep {
            say("kept \(directory.path) (lbd.log, lbd.yaml, plugins.d)")
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }
}
