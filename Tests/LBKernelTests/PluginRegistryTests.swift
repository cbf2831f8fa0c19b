import Foundation
import Logging
import Testing
@testable import LBKernel

/// Plugin files and the typed registry.
struct PluginRegistryTests {
    static func registry() -> PluginRegistry {
        var registry = PluginRegistry()
        registry.register(announcer: LogAnnouncer.self)
        return registry
    }

    static func context(_ file: PluginFile) -> PluginContext {
        PluginContext(instanceName: file.name, logger: .init(label: "test"), node: Node(name: "n"), baseDirectory: "/tmp")
    }

    static func withDirectory(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lbd-plugins-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        try body(directory)
    }

    @Test func buildsAPluginFromItsFile() throws {
        try Self.withDirectory(["log.yaml": "plugin: log\nname: dry-run\noutput: stderr\n", "README.txt": "ignored"]) { dir in
            let loaded = try Self.registry().load(directory: dir, makeContext: Self.context)
            #expect(loaded.count == 1)
            #expect(loaded.first?.file.name == "dry-run")
            guard case .announcer(let announcer)? = loaded.first?.instance else {
                Issue.record("expected an announcer")
                return
            }
            #expect(announcer is LogAnnouncer)
        }
    }

    @Test func unknownKindNamesTheFileAndTheKnownKinds() throws {
        try Self.withDirectory(["x.yaml": "plugin: bgpp\nname: x\n"]) { dir in
            #expect {
                _ = try Self.registry().load(directory: dir, makeContext: Self.context)
            } throws: { error in
                let problem = (error as? ConfigError)?.problems.first
                return problem?.code == .unknownReference && problem?.location?.file.hasSuffix("x.yaml") == true
                    && problem?.message.contains("unknown plugin kind 'bgpp'; this lbd has: log") == true
            }
        }
    }

    @Test func duplicateNamesNameBothFiles() throws {
        try Self.withDirectory(["a.yaml": "plugin: log\nname: same\n", "b.yaml": "plugin: log\nname: same\n"]) { dir in
            #expect {
                _ = try Self.registry().load(directory: dir, makeContext: Self.context)
            } throws: { error in
                let problem = (error as? ConfigError)?.problems.first
                return problem?.code == .duplicate && problem?.location?.file.hasSuffix("b.yaml") == true
                    && problem?.message.contains("a.yaml") == true
            }
        }
    }

    @Test func unknownPluginKeysAreRejectedWithTheirLine() throws {
        try Self.withDirectory(["log.yaml": "plugin: log\nname: l\noutptu: stderr\n"]) { dir in
            #expect {
                _ = try Self.registry().load(directory: dir, makeContext: Self.context)
            } throws: { error in
                let problem = (error as? ConfigError)?.problems.first
                return problem?.code == .unknownKey && problem?.location?.line == 3 && problem?.field == "outptu"
            }
        }
    }

    @Test func missingPluginAndNameAreBothReported() throws {
        #expect {
            _ = try PluginFile(path: "p.yaml", text: "output: stderr\n")
        } throws: { error in
            (error as? ConfigError)?.problems.map(\.field) == ["plugin", "name"]
        }
    }
}

/// Paths in configuration resolve against the file that names them.
struct PathResolutionTests {
    @Test(arguments: [
        ("demo/../plugins.d", "plugins.d"), ("./a/./b", "a/b"), ("/x/y/../z", "/x/z"), ("../up", "../up"),
        ("a/..", "."), ("/..", "/"), ("a/../../b", "../b"),
    ])
    func normalizes(_ input: String, _ expected: String) {
        #expect(LBDConfiguration.normalize(input) == expected)
    }

    @Test func pluginPathsResolveAgainstThePluginDirectory() {
        let context = PluginContext(instanceName: "f", logger: .init(label: "t"), node: Node(name: "n"),
                                    baseDirectory: "demo/../plugins.d")
        #expect(context.resolve("../demo/services.yaml") == "demo/services.yaml")
        #expect(context.resolve("/etc/lbd/x.yaml") == "/etc/lbd/x.yaml")
    }
}
