import Foundation

/// `kubectl` with a kubeconfig of the lab's: how a lab creates and deletes Kubernetes objects through the API, as a
/// user would, against the API test server.
public struct Kubectl: Sendable {
    /// The program, and the package that installs it.
    public static let tool = Tools.Tool(program: "kubectl", package: "kubectl (Kubernetes' release binary)")

    /// The kubeconfig file it uses.
    public let kubeconfig: URL
    /// Where it keeps its cache and the manifests it is given.
    public let directory: URL

    /// kubectl with `kubeconfig` (a file), keeping its cache and manifests in `directory` (created).
    public init(kubeconfig: URL, directory: URL) throws {
        try Tools.require([Self.tool])
        self.kubeconfig = kubeconfig
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// The command line of `kubectl <arguments>` with this kubeconfig (to run elsewhere: `ip netns exec … ` + it).
    public func command(_ arguments: [String]) -> [String] {
        ["kubectl", "--kubeconfig", kubeconfig.path, "--cache-dir", directory.appendingPathComponent("cache").path]
            + arguments
    }

    /// Runs `kubectl <arguments>`; throws, with its output, unless it exits with status 0.
    @discardableResult
    public func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await Command.check(command(arguments), timeout: timeout)
    }

    /// `kubectl create -f` of `manifest` (YAML, one or more documents), written to `<name>.yaml` in ``directory``.
    @discardableResult
    public func create(_ name: String, _ manifest: String) async throws -> CommandResult {
        let file = directory.appendingPathComponent("\(name).yaml")
        try manifest.write(to: file, atomically: true, encoding: .utf8)
        return try await run(["create", "-f", file.path])
    }
}
