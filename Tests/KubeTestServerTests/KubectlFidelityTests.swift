import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KubeTestServer
import LabKit
import Testing

/// The test server's fidelity, checked by a real client: kubectl creates, gets, watches, patches (the object and
/// its status) and deletes Services against it.
@Suite struct KubectlFidelityTests {
    /// A temporary directory with a kubeconfig for `server` (CA data, token), removed by `cleanUp`.
    struct Kubectl {
        let directory: String
        let kubeconfig: String

        init(_ server: KubeTestServer, token: String) throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("kubectl-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            kubeconfig = directory + "/kubeconfig"
            let config = server.kubeconfig(token: token)
            try config.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        }

        /// `kubectl <arguments>` with this kubeconfig and a cache directory of its own.
        func command(_ arguments: [String]) -> [String] {
            ["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", directory + "/cache"] + arguments
        }

        func run(_ arguments: String...) async throws -> CommandResult {
            try await Command.run(command(arguments), timeout: .seconds(30))
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func serviceYAML(_ name: String) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
          labels: {app: \(name)}
        spec:
          type: LoadBalancer
          selector: {app: \(name)}
          ports:
          - port: 80
            targetPort: 8080

        """
    }

    @Test func kubectlCreatesGetsWatchesPatchesAndDeletesServices() async throws {
        try Tools.require([Tools.Tool(program: "kubectl", package: "kubectl")])
        let server = try KubeTestServer(tokens: ["admin": .full])
        try await server.start()
        let kubectl = try Kubectl(server, token: "admin")
        defer { kubectl.cleanUp() }
        do {
            try await exercise(server, kubectl)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    private func exercise(_ server: KubeTestServer, _ kubectl: Kubectl) async throws {
        let created = try await kubectl.run("create", "-f", try kubectl.write("web.yaml", Self.serviceYAML("web")))
        #expect(created.succeeded, "\(created)")
        #expect(created.stdout.contains("service/web created"))

        let json = try await kubectl.run("get", "svc", "-o", "json")
        #expect(json.succeeded, "\(json)")
        let list = try JSONValue.parse(json.stdout)
        #expect(list["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } == ["web"])
        #expect(list["items"]?.arrayValue?.first?[path: ["spec", "ports"]]?.arrayValue?.first?["port"] == 80)

        // kubectl get -w: the list, then a line for a Service created while it watches; stopped by its PID.
        let output = kubectl.directory + "/watch.out"
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let watch = try ChildProcess(kubectl.command(["get", "svc", "-w"]), stdin: null, stdout: fd, stderr: fd)
        close(fd)
        close(null)
        defer { watch.send(SIGKILL) }
        let read = { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        try await poll("kubectl get -w to list web", within: .seconds(15), every: .milliseconds(50),
                       abortIf: { if !watch.isRunning { throw LabError("kubectl get -w exited: \(read())") } }) {
            read().contains("web") ? true : nil
        }
        let two = try await kubectl.run("create", "-f", try kubectl.write("two.yaml", Self.serviceYAML("two")))
        #expect(two.succeeded, "\(two)")
        let lines = try await poll("kubectl get -w to print two", within: .seconds(15), every: .milliseconds(50)) {
            read().contains("two") ? read().split(separator: "\n").map(String.init) : nil
        }
        #expect(lines.first?.split(separator: " ").first == "NAME")
        #expect(lines.contains { $0.hasPrefix("two ") && $0.contains("LoadBalancer") && $0.contains("<pending>") })
        watch.send(SIGTERM)
        try await watch.waitForExit(within: .seconds(10))

        let patched = try await kubectl.run("patch", "svc", "web", "--type", "merge", "-p",
                                            #"{"metadata":{"labels":{"patched":"yes"}}}"#)
        #expect(patched.succeeded, "\(patched)")
        #expect(server.object(.services, namespace: "default", name: "web")?[path: ["metadata", "labels", "patched"]]
                    == "yes")

        let status = try await kubectl.run(
            "patch", "svc", "web", "--subresource", "status", "--type", "merge", "-p",
            #"{"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}}"#)
        #expect(status.succeeded, "\(status)")
        let table = try await kubectl.run("get", "svc", "web")
        #expect(table.succeeded, "\(table)")
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let external = try #require(rows.first?.firstIndex(of: "EXTERNAL-IP"), "\(table)")
        #expect(rows.count == 2 && rows[1].count > external && rows[1][external] == "10.0.0.1", "\(table)")

        let describe = try await kubectl.run("describe", "svc", "web")
        #expect(describe.succeeded, "\(describe)")
        #expect(describe.stdout.split(separator: "\n").contains { $0.hasPrefix("LoadBalancer Ingress:") && $0.contains("10.0.0.1") },
                "\(describe)")
        let everywhere = try await kubectl.run("get", "svc", "--all-namespaces")
        #expect(everywhere.stdout.hasPrefix("NAMESPACE"), "\(everywhere)")

        // A MetalLB custom resource, served like a built-in.
        let pool = try kubectl.write("pool.yaml", """
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata: {name: pool, namespace: lbd}
            spec: {addresses: [192.0.2.0/24]}

            """)
        let poolCreated = try await kubectl.run("create", "-f", pool)
        #expect(poolCreated.stdout.contains("ipaddresspool.metallb.io/pool created"), "\(poolCreated)")
        let pools = try await kubectl.run("get", "ipaddresspools", "-n", "lbd", "-o", "json")
        #expect(try JSONValue.parse(pools.stdout)["items"]?.arrayValue?.first?[path: ["spec", "addresses"]]
                    == ["192.0.2.0/24"], "\(pools)")

        let deleted = try await kubectl.run("delete", "svc", "web")
        #expect(deleted.succeeded, "\(deleted)")
        #expect(deleted.stdout.contains(#"service "web" deleted"#))
        #expect(server.object(.services, namespace: "default", name: "web") == nil)
        let missing = try await kubectl.run("get", "svc", "web")
        #expect(!missing.succeeded && missing.stderr.contains("NotFound"), "\(missing)")
    }

    @Test func kubectlReportsUnauthorizedAndForbidden() async throws {
        try Tools.require([Tools.Tool(program: "kubectl", package: "kubectl")])
        let server = try KubeTestServer(tokens: ["viewer": .readOnly])
        try await server.start()
        let viewer = try Kubectl(server, token: "viewer"), stranger = try Kubectl(server, token: "stranger")
        defer {
            viewer.cleanUp()
            stranger.cleanUp()
        }
        let listed = try await viewer.run("get", "svc")
        let forbidden = try await viewer.run("create", "-f", try viewer.write("web.yaml", Self.serviceYAML("web")))
        let unauthorized = try await stranger.run("get", "svc")
        await server.shutdown()
        #expect(listed.succeeded, "\(listed)")
        #expect(!forbidden.succeeded && forbidden.stderr.contains("forbidden"), "\(forbidden)")
        #expect(!unauthorized.succeeded && unauthorized.stderr.contains("You must be logged in to the server"), "\(unauthorized)")
    }
}
