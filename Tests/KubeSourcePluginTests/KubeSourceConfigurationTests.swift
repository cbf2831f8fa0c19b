import Foundation
import LBKernel
import LBKernelTestKit
import Logging
import Testing
@testable import KubeSourcePlugin

/// Decodes the Kubernetes source's configuration as `plugins.d/kubernetes.yaml` would hold it.
private func decodeConfiguration(_ text: String) throws(ConfigError) -> KubeSource.Configuration {
    try PluginConfigurationText.decode(KubeSource.Configuration.self, from: text, file: "kubernetes.yaml")
}

/// A file of the repository, by path from its root.
private func repositoryFile(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(path)
}

/// Every key of the configuration, nested ones as `outer.inner`.
private let allKeys = KubeSource.Configuration.CodingKeys.allCases.map(\.rawValue)
    + KubeSource.Configuration.LeaderElection.CodingKeys.allCases.map { "leaderElection.\($0.rawValue)" }

@Suite("Kubernetes source configuration")
struct KubeSourceConfigurationTests {
    @Test func everyKeyIsOptional() throws {
        let configuration = try decodeConfiguration("{}")
        #expect(configuration == KubeSource.Configuration())
        #expect(configuration.kubeconfig == nil && configuration.namespace == nil)
        #expect(configuration.loadBalancerClass == nil && configuration.legacyConfigMap == nil)
        #expect(configuration.writeConcurrency == 16)
        #expect(configuration.requestTimeout == GoDuration(seconds: 30))
        #expect(configuration.leaderElection == .init(enabled: true, leaseName: "lbd-allocator",
                                                      leaseDuration: GoDuration(seconds: 15),
                                                      renewDeadline: GoDuration(seconds: 10),
                                                      retryPeriod: GoDuration(seconds: 2)))
    }

    @Test func emptyStringsMeanAbsent() throws {
        let configuration = try decodeConfiguration("kubeconfig: ''\ncontext: ''\nnamespace: ''\nloadBalancerClass: ''\nlegacyConfigMap: ''")
        #expect(configuration == KubeSource.Configuration())
    }

    @Test func everyKey() throws {
        let configuration = try decodeConfiguration("""
            kubeconfig: kc
            context: lab
            namespace: metallb-system
            loadBalancerClass: example.com/lbd
            legacyConfigMap: config
            ignoreExcludeLabel: true
            writeConcurrency: 4
            requestTimeout: 5s
            leaderElection: {enabled: false, leaseName: lbd.lease, leaseDuration: 3s, renewDeadline: 2s, retryPeriod: 500ms}
            """)
        #expect(configuration == KubeSource.Configuration(
            kubeconfig: "kc", context: "lab", namespace: "metallb-system", loadBalancerClass: "example.com/lbd",
            legacyConfigMap: "config", ignoreExcludeLabel: true, writeConcurrency: 4,
            requestTimeout: GoDuration(seconds: 5),
            leaderElection: .init(enabled: false, leaseName: "lbd.lease", leaseDuration: GoDuration(seconds: 3),
                                  renewDeadline: GoDuration(seconds: 2),
                                  retryPeriod: GoDuration(nanoseconds: 500_000_000))))
    }

    @Test(arguments: [
        ("namespace: Lbd_System", 1, "namespace name"),
        ("legacyConfigMap: 'my config'", 1, "ConfigMap name"),
        ("writeConcurrency: 0", 1, "from 1 to 256"),
        ("requestTimeout: 500ms", 1, "from 1s to 10m"),
        ("leaderElection: {leaseName: Lease}", 1, "DNS subdomain"),
        ("leaderElection: {retryPeriod: 1ms}", 1, "at least 10ms"),
        ("leaderElection:\n  renewDeadline: 1s\n  retryPeriod: 2s", 2, "longer than retryPeriod"),
        ("leaderElection: {leaseDuration: 10s}", 1, "longer than renewDeadline"),
        ("leaderElection: {leaseDuration: 15500ms}", 1, "whole seconds"),
        ("kubeconfg: x", 1, "kubeconfg"),
        ("leaderElection: {enable: true}", 1, "enable"),
    ])
    func invalidConfigurations(text: String, line: Int, message: String) {
        do {
            let configuration = try decodeConfiguration(text)
            Issue.record("accepted: \(text) as \(configuration)")
        } catch {
            let problem = error.problems.first
            #expect(problem?.message.contains(message) == true, "\(error)")
            #expect(problem?.location?.file == "kubernetes.yaml")
            #expect(problem?.location?.line == line, "\(error)")
        }
    }

    @Test func aKubeconfigThatCannotBeUsedStopsThePluginNamingTheFile() throws {
        let configuration = try decodeConfiguration("kubeconfig: no-such-kubeconfig")
        let context = PluginContext(instanceName: "cluster", logger: .init(label: "test"), node: Node(name: "n1"),
                                    baseDirectory: "/nonexistent-lbd-dir")
        #expect {
            _ = try KubeSource(configuration: configuration, context: context)
        } throws: { error in
            "\(error)".contains("/nonexistent-lbd-dir/no-such-kubeconfig")
        }
    }

    @Test func theExamplePluginFileLoadsAndShowsEveryKey() throws {
        let path = repositoryFile("plugins.d/kubernetes.yaml").path
        let file = try PluginFile(path: path)
        #expect(file.kind == KubeSource.kind)
        let configuration = try StrictYAMLDecoder().decode(KubeSource.Configuration.self, from: file.configuration)
        var defaults = KubeSource.Configuration()
        defaults.kubeconfig = "kubernetes.example.kubeconfig"
        defaults.namespace = "lbd-system"
        #expect(configuration == defaults, "the example shows the defaults")
        let context = PluginContext(instanceName: file.name, logger: .init(label: "test"), node: Node(name: "n1"),
                                    baseDirectory: repositoryFile("plugins.d").path)
        _ = try KubeSource(configuration: configuration, context: context)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in allKeys {
            let leaf = key.split(separator: ".").last!
            #expect(text.contains("\(leaf):"), "plugins.d/kubernetes.yaml does not show `\(key)`")
        }
    }

    @Test func docsHaveARowForEveryKey() throws {
        let text = try String(contentsOf: repositoryFile("docs/kubernetes.md"), encoding: .utf8)
        for key in allKeys where !allKeys.contains(where: { $0.hasPrefix(key + ".") }) {
            #expect(text.contains("| `\(key)` |"), "docs/kubernetes.md has no table row for `\(key)`")
        }
    }

    @Test func leaseIdentitiesAreTheNodeAndARandomSuffix() {
        let a = KubeSource.identity(node: "node-a"), b = KubeSource.identity(node: "node-a")
        #expect(a.hasPrefix("node-a_") && b.hasPrefix("node-a_"))
        #expect(a != b, "two processes on one node must not share an identity")
    }
}
