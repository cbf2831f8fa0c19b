import Foundation
import Glibc
import LBKernel
import Logging
import LBKernelTestKit
import Testing
@testable import Layer2Plugin

/// Decodes the Layer 2 plugin's configuration from YAML text as `plugins.d/layer2.yaml` would hold it (without
/// `plugin:` and `name:`).
private func decodeConfiguration(_ text: String) throws(ConfigError) -> Layer2Announcer.Configuration {
    try PluginConfigurationText.decode(Layer2Announcer.Configuration.self, from: text, file: "layer2.yaml")
}

/// A file of the repository, by path from its root.
private func repositoryFile(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(path)
}

/// Every key of the configuration, nested ones as `outer.inner`.
private let allKeys = Layer2Announcer.Configuration.CodingKeys.allCases.map(\.rawValue)
    + Layer2Announcer.Configuration.Gratuitous.CodingKeys.allCases.map { "gratuitous.\($0.rawValue)" }
    + ["port", "group", "peers", "interval", "deadAfter", "key", "keyFile", "acceptKeyFiles", "maxClockSkew"].map { "heartbeat.\($0)" }

@Suite("Layer 2 plugin configuration")
struct Layer2AnnouncerConfigurationTests {
    @Test func onlyTheKeyIsRequiredAndEverythingElseDefaults() throws {
        let configuration = try decodeConfiguration("heartbeat: {key: 0123456789abcdef}")
        #expect(configuration.excludeInterfaces == InterfaceSelection.defaultExclusions)
        #expect(configuration.interfaceScanInterval == GoDuration(seconds: 1))
        #expect(configuration.gratuitous == .init(repeatEvery: GoDuration(seconds: 1), repeatFor: GoDuration(seconds: 5)))
        #expect(configuration.handoverTimeout == GoDuration(seconds: 2))
        #expect(configuration.statusFile == nil)
        #expect(configuration.heartbeat.interval == GoDuration(nanoseconds: 100_000_000))
        #expect(configuration.heartbeat.deadAfter == 3)
        #expect(configuration.heartbeat.detectionTime == .milliseconds(350))
    }

    @Test func everyKey() throws {
        let configuration = try decodeConfiguration("""
            excludeInterfaces: ["^eth9$"]
            interfaceScanInterval: 250ms
            heartbeat:
              keyFile: secret.key
              port: 7000
              group: 239.1.2.3
              peers: [10.0.0.1, "fd00::2"]
              interval: 20ms
              deadAfter: 4
              maxClockSkew: 3s
            gratuitous: {repeatEvery: 500ms, repeatFor: 0s}
            handoverTimeout: 0s
            statusFile: status/l2.json
            """)
        #expect(configuration.excludeInterfaces == ["^eth9$"])
        #expect(configuration.interfaceScanInterval == GoDuration(nanoseconds: 250_000_000))
        #expect(configuration.heartbeat.keyFile == "secret.key")
        #expect(configuration.heartbeat.port == 7000)
        #expect(configuration.heartbeat.group == IPv4Address(239, 1, 2, 3))
        #expect(configuration.heartbeat.peers == [IPAddress("10.0.0.1")!, IPAddress("fd00::2")!])
        #expect(configuration.heartbeat.detectionTime == .milliseconds(90))
        #expect(configuration.heartbeat.maxClockSkew == GoDuration(seconds: 3))
        #expect(configuration.gratuitous == .init(repeatEvery: GoDuration(nanoseconds: 500_000_000),
                                                  repeatFor: GoDuration(seconds: 0)))
        #expect(configuration.handoverTimeout == GoDuration(seconds: 0))
        #expect(configuration.statusFile == "status/l2.json")
    }

    @Test(arguments: [
        ("excludeInterfaces: []", 1, "required key 'heartbeat' is missing"),
        ("heartbeat: {key: 0123456789abcdef}\nhandover: 1s", 2, "unknown key 'handover'"),
        ("heartbeat: {key: 0123456789abcdef}\nexcludeInterfaces: ['^(eth']", 2, "(eth"),
        ("heartbeat: {key: 0123456789abcdef}\ninterfaceScanInterval: 10ms", 2, "must be from 100ms to 1m"),
        ("heartbeat: {key: 0123456789abcdef}\ngratuitous: {repeatEvery: 1ms}", 2, "must be from 10ms to 1m"),
        ("heartbeat: {key: 0123456789abcdef}\ngratuitous: {repeatFor: 11m}", 2, "must be from 0s to 10m"),
        ("heartbeat: {key: 0123456789abcdef}\ngratuitous: {every: 1s}", 2, "unknown key 'every'"),
        ("heartbeat: {key: 0123456789abcdef}\nhandoverTimeout: 2m", 2, "must be from 0s to 1m"),
        ("heartbeat: {key: 0123456789abcdef}\nstatusFile: ''", 2, "must not be empty"),
        ("heartbeat: {key: 0123456789abcdef, interval: 1ms}", 1, "5ms"),
        ("heartbeat: {key: 0123456789abcdef, deadAfter: 1}", 1, "at least 2"),
        ("heartbeat: {interval: 1s}", 1, "key"),
        ("heartbeat: {key: 0123456789abcdef, acceptKeyFiles: ['']}", 1, "must not be empty"),
    ])
    func invalidConfigurations(text: String, line: Int, message: String) {
        do {
            let configuration = try decodeConfiguration(text)
            Issue.record("accepted: \(text) as \(configuration)")
        } catch {
            let problem = error.problems.first
            #expect(problem?.message.contains(message) == true, "\(error)")
            #expect(problem?.location?.file == "layer2.yaml")
            #expect(problem?.location?.line == line, "\(error)")
        }
    }

    @Test func aMissingKeyFileStopsThePluginNamingTheFile() throws {
        let configuration = try decodeConfiguration("heartbeat: {keyFile: no-such.key}")
        let context = PluginContext(instanceName: "lan", logger: .init(label: "test"), node: Node(name: "n1"),
                                    baseDirectory: "/nonexistent-lbd-dir")
        #expect {
            _ = try Layer2Announcer(configuration: configuration, context: context)
        } throws: { error in
            "\(error)".contains("/nonexistent-lbd-dir/no-such.key")
        }
    }

    @Test func acceptedKeysAuthenticateButNeverSign() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lbd-keys-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "new-key-0123456789abcdef\n".write(to: directory.appendingPathComponent("new.key"), atomically: true,
                                                encoding: .utf8)
        try "old-key-0123456789abcdef\n".write(to: directory.appendingPathComponent("old.key"), atomically: true,
                                                encoding: .utf8)
        let rotating = try decodeConfiguration("heartbeat: {keyFile: new.key, acceptKeyFiles: [old.key]}")
        let keys = try rotating.heartbeat.keys(relativeTo: directory.path)
        #expect(keys.map { String(decoding: $0.bytes, as: UTF8.self) }
                == ["new-key-0123456789abcdef", "old-key-0123456789abcdef"])
        let oldOnly = try decodeConfiguration("heartbeat: {keyFile: old.key}").heartbeat.keys(relativeTo: directory.path)
        let beat = Heartbeat(node: "n2", incarnation: 1, sequence: 1, timestamp: 1, intervalMilliseconds: 100,
                             leaving: false)
        // A node still on the old key is heard by a node rotating to the new one, and the rotating node signs
        // with the new key, which the old node rejects until it accepts the new key too.
        #expect(try HeartbeatCodec(keys: keys).open(HeartbeatCodec(keys: oldOnly).seal(beat)) == beat)
        #expect(throws: HeartbeatRejection.unauthenticated) {
            try HeartbeatCodec(keys: oldOnly).open(HeartbeatCodec(keys: keys).seal(beat))
        }
    }

    @Test func theExamplePluginFileLoadsAndShowsEveryKey() throws {
        let path = repositoryFile("plugins.d/layer2.yaml").path
        let file = try PluginFile(path: path)
        #expect(file.kind == "layer2")
        let configuration = try StrictYAMLDecoder().decode(Layer2Announcer.Configuration.self, from: file.configuration)
        #expect(configuration.excludeInterfaces == InterfaceSelection.defaultExclusions,
                "the example shows the default exclusions")
        let context = PluginContext(instanceName: "lan", logger: .init(label: "test"), node: Node(name: "n1"),
                                    baseDirectory: repositoryFile("plugins.d").path)
        _ = try Layer2Announcer(configuration: configuration, context: context)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in allKeys {
            let leaf = key.split(separator: ".").last!
            #expect(text.contains("\(leaf):"), "plugins.d/layer2.yaml does not show `\(key)`")
        }
    }

    @Test func docsHaveARowForEveryKey() throws {
        let text = try String(contentsOf: repositoryFile("docs/layer2.md"), encoding: .utf8)
        for key in allKeys where !allKeys.contains(where: { $0.hasPrefix(key + ".") }) {
            #expect(text.contains("| `\(key)` |"), "docs/layer2.md has no table row for `\(key)`")
        }
    }

    @Test func advertisementsNamingInterfacesNarrowTheOpenedInterfaces() {
        func set(_ interfaces: [[String]?]) -> DesiredSet {
            var desired = DesiredSet(node: "n1")
            for (index, names) in interfaces.enumerated() {
                let id = ServiceID(namespace: "ns", name: "s\(index)")
                desired.services[id] = ServiceAnnouncement(
                    service: id, addresses: [IPAddress("10.0.0.\(index + 1)")!], pool: "p",
                    layer2: names.map { Layer2Announcement(candidates: ["n1"], interfaces: $0) })
            }
            return desired
        }
        #expect(Layer2Loop.requestedInterfaces(of: set([])) == nil, "no service: every eligible interface")
        #expect(Layer2Loop.requestedInterfaces(of: set([nil])) == nil, "BGP only: every eligible interface")
        #expect(Layer2Loop.requestedInterfaces(of: set([["eth1"], ["eth2", "eth1"]])) == ["eth1", "eth2"])
        #expect(Layer2Loop.requestedInterfaces(of: set([["eth1"], []])) == nil, "one advertisement allows all")
    }
}
