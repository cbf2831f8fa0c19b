import Foundation
import Testing

/// The lbd binary as a user runs it: run, kill -9, restart; check; plan; convert; graceful shutdown.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct LBDCommandTests {
    /// A temporary lbd setup: lbd.yaml, plugins.d/{file,log}.yaml, services.yaml.
    struct Lab {
        let directory: URL

        init(services: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("lbd-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("plugins.d"),
                                                    withIntermediateDirectories: true)
            try write("lbd.yaml", "node:\n  name: node-a\ncoalescingDelay: 10ms\n")
            try write("plugins.d/file.yaml", "plugin: file\nname: files\nfiles: [../services.yaml]\nstateFile: ../state/state.json\n")
            try write("plugins.d/log.yaml", "plugin: log\nname: log\nprefix: false\n")
            try write("services.yaml", services)
        }

        func write(_ name: String, _ text: String) throws {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        var config: String { directory.appendingPathComponent("lbd.yaml").path }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static let pool = """
        pools:
          - name: default
            addresses: [10.30.0.0/28]
        layer2Advertisements:
          - name: l2

        """

    /// The address announced for `service` in the log announcer's lines.
    static func address(of service: String, in lines: [String]) -> String? {
        lines.last { $0.hasPrefix("+ \(service) ") || $0.hasPrefix("~ \(service) ") }?.split(separator: " ")[2].description
    }

    @Test func killMinus9AndRestartKeepsEveryAddress() async throws {
        let lab = try Lab(services: Self.pool + """
            services:
              - {name: c}
              - {name: b}
              - {name: a}

            """)
        defer { lab.remove() }
        let first = try LBDProcess(["run", "--config", lab.config])
        for name in ["a", "b", "c"] {
            try await first.waitForOutput("default/\(name) announced") { $0.hasPrefix("+ default/\(name) ") }
        }
        let before = ["a", "b", "c"].map { Self.address(of: "default/\($0)", in: first.outputLines) }
        #expect(Set(before.compactMap { $0 }).count == 3)
        // The state file is written after the announcement: wait until it names all three services.
        let stateFile = lab.directory.appendingPathComponent("state/state.json").path
        try await waitFor("the state file to hold three services") {
            let text = (try? String(contentsOfFile: stateFile, encoding: .utf8)) ?? ""
            return ["default/a", "default/b", "default/c"].allSatisfy(text.contains)
        }
        first.send(SIGKILL)
        _ = try await first.waitForExit()

        // A new service "0first" sorts before the others: without replay it would take 10.30.0.0.
        try lab.write("services.yaml", Self.pool + """
            services:
              - {name: 0first}
              - {name: a}
              - {name: b}
              - {name: c}

            """)
        let second = try LBDProcess(["run", "--config", lab.config])
        for name in ["0first", "a", "b", "c"] {
            try await second.waitForOutput("default/\(name) announced") { $0.hasPrefix("+ default/\(name) ") }
        }
        let after = ["a", "b", "c"].map { Self.address(of: "default/\($0)", in: second.outputLines) }
        #expect(after == before, "addresses moved across kill -9: \(before) -> \(after)")
        #expect(!before.contains(Self.address(of: "default/0first", in: second.outputLines)))
        second.send(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    @Test func sigtermWithdrawsEverythingAndExitsZero() async throws {
        let lab = try Lab(services: Self.pool + "services:\n  - {name: web}\n")
        defer { lab.remove() }
        let lbd = try LBDProcess(["run", "--config", lab.config])
        try await lbd.waitForOutput("web announced") { $0.hasPrefix("+ default/web ") }
        lbd.send(SIGTERM)
        #expect(try await lbd.waitForExit() == 0)
        #expect(lbd.outputLines.contains("- default/web"))
        #expect(lbd.outputLines.last == "withdrawn everything (shutdown)")
    }

    @Test func checkAcceptsAValidSetupAndSummarises() async throws {
        let lab = try Lab(services: Self.pool + "services:\n  - {name: web}\n")
        defer { lab.remove() }
        let result = try await LBDProcess.run(["check", "--config", lab.config])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.last?.hasPrefix("ok: 2 plugin(s), 1 pool(s)") == true, "\(result.stdout)")
    }

    @Test func checkNamesFileLineAndKeyForEveryProblem() async throws {
        let lab = try Lab(services: """
            pools:
              - name: default
                addresses: [10.30.0.0/28]
              - name: other
                addresses: [10.30.0.8/29]
            services:
              - name: web
                prots: [TCP/80]

            """)
        defer { lab.remove() }
        try lab.write("plugins.d/log.yaml", "plugin: log\nname: log\noutput: printer\n")
        let result = try await LBDProcess.run(["check", "--config", lab.config])
        #expect(result.status == 1)
        let joined = result.stderr.joined(separator: "\n")
        #expect(joined.contains("log.yaml:3"), "\(result.stderr)")
        #expect(joined.contains("output"), "\(result.stderr)")
        // Each problem is one line naming its file.
        #expect(result.stderr.allSatisfy { $0.contains(".yaml") }, "\(result.stderr)")
    }

    @Test func planPrintsAllocationsAndReasonsAsJSON() async throws {
        let lab = try Lab(services: Self.pool + """
            nodes:
              - name: node-a
              - name: node-b
                labels: {node.kubernetes.io/exclude-from-external-load-balancers: ""}
            services:
              - {name: web}

            """)
        defer { lab.remove() }
        let result = try await LBDProcess.run(["plan", "--config", lab.config, "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.joined(separator: "\n").utf8)) as? [String: Any]
        let services = json?["services"] as? [[String: Any]]
        #expect(services?.first?["addresses"] as? [String] == ["10.30.0.0"])
        let nodes = services?.first?["nodes"] as? [[String: Any]]
        #expect(nodes?.first { $0["node"] as? String == "node-b" }?["layer2Reason"] as? String == "nodeExcluded")
        #expect(nodes?.first { $0["node"] as? String == "node-a" }?["layer2"] as? String == "candidate")
        // Plan writes no state.
        #expect(!FileManager.default.fileExists(atPath: lab.directory.appendingPathComponent("state/state.json").path))
    }

    @Test func theBundledDemoAndEveryPluginExampleLoad() async throws {
        let root = LBDProcess.repositoryRoot
        let examples = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("plugins.d").path)
            .filter { $0.hasSuffix(".yaml") }
        let demo = try await LBDProcess.run(["check", "--config", root.appendingPathComponent("demo/lbd.yaml").path])
        #expect(demo.status == 0, "\(demo)")
        #expect(demo.stdout.last?.hasPrefix("ok: 2 plugin(s)") == true, "\(demo.stdout)")
        let result = try await LBDProcess.run(["check", "--config", root.appendingPathComponent("demo/lbd.yaml").path,
                                               "--plugins", root.appendingPathComponent("plugins.d").path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.last?.hasPrefix("ok: \(examples.count) plugin(s)") == true, "\(result.stdout)")
    }

    @Test func convertPrintsLBDPolicyOrOneLinePerProblem() async throws {
        let lab = try Lab(services: "")
        defer { lab.remove() }
        try lab.write("good.yaml", """
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata:
              name: first
              namespace: metallb-system
            spec:
              addresses: [192.168.10.0/24]
            ---
            apiVersion: metallb.io/v1beta1
            kind: L2Advertisement
            metadata:
              name: l2
              namespace: metallb-system

            """)
        let good = try await LBDProcess.run(["convert", "--from", "metallb", lab.directory.appendingPathComponent("good.yaml").path])
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout.contains { $0.contains("192.168.10.0/24") })
        try lab.write("policy.yaml", good.stdout.joined(separator: "\n") + "\n")
        // The converted policy is valid lbd policy: lbd check accepts it as a policy file.
        let check = try await LBDProcess.run(["check", "--config", lab.config, "--policy",
                                              lab.directory.appendingPathComponent("policy.yaml").path])
        #expect(check.stdout.last?.contains("1 pool(s)") == true, "\(check)")

        try lab.write("bad.yaml", """
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata:
              name: first
            spec:
              addresses: [192.168.10.0/33]
              autoassign: false

            """)
        let bad = try await LBDProcess.run(["convert", "--from", "metallb", lab.directory.appendingPathComponent("bad.yaml").path])
        #expect(bad.status == 1)
        #expect(bad.stderr.count >= 1 && bad.stderr.allSatisfy { $0.contains("bad.yaml:") }, "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }

    @Test func metalLBFilesAreUsableAsPolicyDirectly() async throws {
        let lab = try Lab(services: "services:\n  - {name: web}\n")
        defer { lab.remove() }
        let fixtures = LBDProcess.repositoryRoot.appendingPathComponent("Tests/LBKernelTests/Fixtures/metallb")
        let good = try await LBDProcess.run(["check", "--config", lab.config,
                                             "--policy", fixtures.appendingPathComponent("guide-bgp.yaml").path])
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout.last?.contains("1 pool(s), 0 Layer 2 and 1 BGP advertisement(s), 2 BGP peer(s)") == true,
                "\(good.stdout)")
        let plan = try await LBDProcess.run(["plan", "--config", lab.config,
                                             "--policy", fixtures.appendingPathComponent("guide-bgp.yaml").path])
        #expect(plan.stdout.first == "default/web  192.168.32.1  pool default", "\(plan)")

        let bad = try await LBDProcess.run(["check", "--config", lab.config, "--policy",
                                            fixtures.appendingPathComponent("guide-layer2-misindented.yaml").path])
        #expect(bad.status == 1)
        let joined = bad.stderr.joined(separator: "\n")
        #expect(joined.contains("metadata") && joined.contains("indent"), "\(bad.stderr)")
    }

    @Test func helpIsUsefulOnEveryCommand() async throws {
        for command in ["run", "check", "plan", "convert", "version"] {
            let result = try await LBDProcess.run([command, "--help"])
            #expect(result.status == 0)
            #expect(result.stdout.joined(separator: "\n").contains("USAGE: lbd \(command)"), "\(command): \(result.stdout)")
        }
    }

    func waitFor(_ what: String, within limit: Duration = .seconds(30), _ condition: @escaping @Sendable () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !condition() {
            if clock.now > deadline { Issue.record("timed out after \(limit) waiting for \(what)"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
