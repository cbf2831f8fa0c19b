// KubeConfigurationTests: kubeconfig files (token, client certificate, CA data and file, insecure, exec refused,
// missing keys named) and the in-cluster configuration.
import Foundation
@testable import KubeSourcePlugin
import Testing

/// The path of `Fixtures/kubeconfig/<name>`.
func kubeconfigFixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/kubeconfig/\(name)", withExtension: nil))
    return url.path
}

/// The bytes of `Fixtures/kubeconfig/<name>`.
func kubeconfigFixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try #require(FileManager.default.contents(atPath: try kubeconfigFixture(name))))
}

@Suite("KubeConfiguration")
struct KubeConfigurationTests {
    @Test("token user, CA data, current-context and its namespace")
    func token() async throws {
        let file = try kubeconfigFixture("token.yaml")
        let config = try KubeConfiguration.kubeconfig(file: file)
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.token == .literal("s3cret"))
        #expect(config.certificateAuthorityPEM == (try kubeconfigFixtureBytes("ca.crt")))
        #expect(config.insecureSkipTLSVerify == false)
        #expect(config.clientCertificate == nil)
        #expect(config.namespace == "metallb-system")
        #expect(config.origin == file)
        try await clientBuilds(config)
    }

    @Test("a named context picks its own cluster; insecure-skip-tls-verify only where the file says so")
    func namedContext() throws {
        let config = try KubeConfiguration.kubeconfig(file: try kubeconfigFixture("token.yaml"), context: "other")
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.insecureSkipTLSVerify)
        #expect(config.certificateAuthorityPEM == nil)
        #expect(config.namespace == nil)
    }

    @Test("client certificate and key from -data keys; an IPv6 server")
    func clientCertificateData() async throws {
        let config = try KubeConfiguration.kubeconfig(file: try kubeconfigFixture("client-certificate.yaml"))
        #expect(config.server == "https://[::1]:36443")
        #expect(config.token == nil)
        let certificate = try #require(config.clientCertificate)
        #expect(certificate.certificatePEM == (try kubeconfigFixtureBytes("client.crt")))
        #expect(certificate.keyPEM == (try kubeconfigFixtureBytes("client.key")))
        try await clientBuilds(config)
    }

    @Test("CA, token, certificate and key from files relative to the kubeconfig")
    func files() throws {
        let config = try KubeConfiguration.kubeconfig(file: try kubeconfigFixture("files.yaml"))
        #expect(config.certificateAuthorityPEM == (try kubeconfigFixtureBytes("ca.crt")))
        #expect(config.token == .file(try kubeconfigFixture("token")))
        #expect(config.clientCertificate?.keyPEM == (try kubeconfigFixtureBytes("client.key")))
        #expect(try TokenSource(config.token).current() == "t0ken-from-file")
    }

    @Test("insecure-skip-tls-verify: true without a CA")
    func insecure() async throws {
        let config = try KubeConfiguration.kubeconfig(file: try kubeconfigFixture("insecure.yaml"))
        #expect(config.insecureSkipTLSVerify)
        #expect(config.token == nil && config.clientCertificate == nil)
        try await clientBuilds(config)
    }

    struct Broken: Sendable, CustomTestStringConvertible {
        var fixture: String
        var context: String?
        var code: KubeConfigError.Code
        var key: String?
        var words: String
        var testDescription: String { fixture }
    }

    @Test("broken files name the file and the key", arguments: [
        Broken(fixture: "exec.yaml", code: .unsupported, key: "users[eks].user.exec", words: "exec"),
        Broken(fixture: "missing-server.yaml", code: .missingKey, key: "clusters[broken].cluster.server",
               words: "missing"),
        Broken(fixture: "key-without-certificate.yaml", code: .missingKey, key: "users[half].user.client-certificate",
               words: "certificate"),
        Broken(fixture: "no-current-context.yaml", code: .missingKey, key: "current-context", words: "missing"),
        Broken(fixture: "token.yaml", context: "prod", code: .unknownName, key: "contexts", words: "'dev'"),
        Broken(fixture: "missing-ca-file.yaml", code: .unreadable, key: "clusters[c].cluster.certificate-authority",
               words: "does-not-exist.crt"),
        Broken(fixture: "insecure-with-ca.yaml", code: .invalidValue,
               key: "clusters[c].cluster.insecure-skip-tls-verify", words: "certificate authority"),
    ])
    func broken(_ row: Broken) throws {
        let file = try kubeconfigFixture(row.fixture)
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfiguration.kubeconfig(file: file, context: row.context)
        }
        #expect(error.code == row.code)
        #expect(error.file == file)
        #expect(error.key == row.key)
        #expect(error.description.contains(row.words), "\(error)")
        #expect(error.description.hasPrefix(file))
    }

    @Test("a file that is not YAML is a syntax error naming the file")
    func syntax() throws {
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfiguration.kubeconfig(text: "clusters: [unclosed", file: "/etc/kube/config")
        }
        #expect(error.code == .syntax)
        #expect(error.file == "/etc/kube/config")
    }

    @Test("in-cluster: host and port from the environment, token file, CA and namespace from the directory")
    func inCluster() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "first-token\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        try Data(try kubeconfigFixtureBytes("ca.crt")).write(to: URL(fileURLWithPath: directory + "/ca.crt"))
        try "lbd-system\n".write(toFile: directory + "/namespace", atomically: true, encoding: .utf8)
        let environment = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        let config = try KubeConfiguration.inCluster(environment: environment, serviceAccountDirectory: directory)
        #expect(config.server == "https://[fd00::1]:443")
        #expect(config.token == .file(directory + "/token"))
        #expect(config.namespace == "lbd-system")
        #expect(config.origin == "in-cluster")
        #expect(config.certificateAuthorityPEM == (try kubeconfigFixtureBytes("ca.crt")))
        try await clientBuilds(config)
    }

    @Test("in-cluster outside a pod names the missing variable; a missing token names the file")
    func notInCluster() throws {
        let outside = try #require(throws: KubeConfigError.self) {
            try KubeConfiguration.inCluster(environment: [:], serviceAccountDirectory: "/nonexistent")
        }
        #expect(outside.key == "KUBERNETES_SERVICE_HOST")
        let noPort = try #require(throws: KubeConfigError.self) {
            try KubeConfiguration.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1"],
                                            serviceAccountDirectory: "/nonexistent")
        }
        #expect(noPort.key == "KUBERNETES_SERVICE_PORT")
        let noToken = try #require(throws: KubeConfigError.self) {
            try KubeConfiguration.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1",
                                                          "KUBERNETES_SERVICE_PORT": "443"],
                                            serviceAccountDirectory: "/nonexistent")
        }
        #expect(noToken.file == "/nonexistent/token")
        #expect(noToken.code == .unreadable)
    }

    @Test("load: the given file, else in-cluster, else $KUBECONFIG, else ~/.kube/config")
    func load() throws {
        let token = try kubeconfigFixture("token.yaml")
        let insecure = try kubeconfigFixture("insecure.yaml")
        #expect(try KubeConfiguration.load(kubeconfig: token, environment: ["KUBECONFIG": insecure]).origin == token)
        #expect(try KubeConfiguration.load(environment: ["KUBECONFIG": ":\(insecure):\(token)"]).origin == insecure)
        #expect(try KubeConfiguration.load(context: "other", environment: ["KUBECONFIG": token]).server
                == "https://10.0.0.1:6443")
        let inPod = try #require(throws: KubeConfigError.self) {
            try KubeConfiguration.load(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1",
                                                     "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": token],
                                       serviceAccountDirectory: "/nonexistent")
        }
        #expect(inPod.file == "/nonexistent/token", "in a pod, the pod's own configuration wins")
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.kube", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: insecure, toPath: home + "/.kube/config")
        #expect(try KubeConfiguration.load(environment: ["HOME": home]).origin == home + "/.kube/config")
        let nothing = try #require(throws: KubeConfigError.self) { try KubeConfiguration.load(environment: [:]) }
        #expect(nothing.key == "KUBECONFIG")
    }

    @Test("a rotated token file is picked up once the cached copy is older than the maximum age")
    func tokenRotation() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token"
        try "one\n".write(toFile: path, atomically: true, encoding: .utf8)
        let cached = TokenSource(.file(path), maximumAge: .seconds(3600))
        let fresh = TokenSource(.file(path), maximumAge: .zero)
        #expect(try cached.current() == "one")
        #expect(try fresh.current() == "one")
        try "two\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try cached.current() == "one")
        #expect(try fresh.current() == "two")
        // A briefly missing file keeps the last token.
        try FileManager.default.removeItem(atPath: path)
        #expect(try fresh.current() == "two")
    }
}

/// A new empty directory under the temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "lbd-kube-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Builds a client from `config` (parsing its PEM material) and shuts it down.
func clientBuilds(_ config: KubeConfiguration) async throws {
    let client = try KubeClient(configuration: config)
    try await client.shutdown()
}
