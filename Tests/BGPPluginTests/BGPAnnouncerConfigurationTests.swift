import Foundation
import LBKernel
import LBKernelTestKit
import Testing
@testable import BGPPlugin

/// Decodes the BGP plugin's configuration from YAML text as `plugins.d/bgp.yaml` would hold it (without `plugin:`
/// and `name:`).
private func decodeConfiguration(_ text: String) throws(ConfigError) -> BGPAnnouncer.Configuration {
    try PluginConfigurationText.decode(BGPAnnouncer.Configuration.self, from: text, file: "bgp.yaml")
}

/// A file of the repository, by path from its root.
private func repositoryFile(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(path)
}

/// Every key of the configuration, nested ones as `outer.inner`.
private let allKeys = BGPAnnouncer.Configuration.CodingKeys.allCases.map(\.rawValue)
    + BGPAnnouncer.Configuration.ConnectRetry.CodingKeys.allCases.map { "connectRetry.\($0.rawValue)" }

@Suite("BGP plugin configuration")
struct BGPAnnouncerConfigurationTests {
    @Test func anEmptyFileTakesEveryDefault() throws {
        let configuration = try decodeConfiguration("{}")
        #expect(configuration == BGPAnnouncer.Configuration())
        #expect(configuration.listen == .auto)
        #expect(configuration.listenAddresses.isEmpty)
        #expect(configuration.listenPort == 179)
        #expect(configuration.routerID == nil)
        #expect(configuration.holdTime == GoDuration(seconds: 90))
        #expect(configuration.connectRetry == .init(initial: GoDuration(seconds: 1), maximum: GoDuration(seconds: 120)))
        #expect(configuration.gracefulRestartTime == GoDuration(seconds: 120))
        #expect(configuration.extendedMessages)
        #expect(configuration.passwordFiles.isEmpty)
    }

    @Test func everyKey() throws {
        let configuration = try decodeConfiguration("""
            listen: always
            listenAddresses: [192.0.2.10, "2001:db8::10"]
            listenPort: 1179
            routerID: 192.0.2.10
            holdTime: 9s
            connectRetry:
              initial: 500ms
              maximum: 30s
            gracefulRestartTime: 300
            extendedMessages: false
            keepRoutesOnShutdown: true
            passwordFiles:
              tor-a: secrets/tor-a.password
            """)
        #expect(configuration == BGPAnnouncer.Configuration(
            listen: .always, listenAddresses: [IPAddress("192.0.2.10")!, IPAddress("2001:db8::10")!], listenPort: 1179,
            routerID: IPv4Address(192, 0, 2, 10), holdTime: GoDuration(seconds: 9),
            connectRetry: .init(initial: GoDuration(nanoseconds: 500_000_000), maximum: GoDuration(seconds: 30)),
            gracefulRestartTime: GoDuration(seconds: 300), extendedMessages: false, keepRoutesOnShutdown: true,
            passwordFiles: ["tor-a": "secrets/tor-a.password"]))
    }

    @Test func aLongInitialRetryRaisesTheDefaultMaximum() throws {
        let configuration = try decodeConfiguration("connectRetry: {initial: 5m}")
        #expect(configuration.connectRetry.maximum == GoDuration(seconds: 300))
    }

    @Test(arguments: [
        ("listenPort: 179\nlistenPrt: 1", 2,
         "unknown key 'listenPrt' (allowed here: listen, listenAddresses, listenPort, routerID, holdTime, connectRetry, "
            + "gracefulRestartTime, extendedMessages, keepRoutesOnShutdown, passwordFiles)"),
        ("connectRetry: {initial: 1s, max: 2m}", 1, "unknown key 'max' (allowed here: initial, maximum)"),
        ("listenPort: 0", 1, "must be a port from 1 to 65535"),
        ("listenPort: 70000", 1, "out of range"),
        ("listenAddresses: [10.0.0.1, 10.0.0.1]", 1, "an address is listed twice"),
        ("listenAddresses: [10.0.0.300]", 1, "10.0.0.300"),
        ("routerID: 0.0.0.0", 1, "RFC 6286"),
        ("routerID: fd00::1", 1, "is not an IPv4 address"),
        ("holdTime: 2s", 1, "0 (no keepalives) or whole seconds from 3s to 65535s"),
        ("holdTime: 3500ms", 1, "whole seconds"),
        ("holdTime: 65536s", 1, "65535s"),
        ("holdTime: soon", 1, "is not a duration"),
        ("gracefulRestartTime: 0s", 1, "from 1s to 4095s"),
        ("gracefulRestartTime: 4096s", 1, "RFC 4724"),
        ("connectRetry: {initial: 1ms}", 1, "at least 10ms"),
        ("connectRetry: {initial: 10s, maximum: 5s}", 1, "must not be shorter than initial (10s)"),
        ("extendedMessages: maybe", 1, "true or false"),
        ("listen: true", 1, "true"),
        ("passwordFiles: {tor-a: ''}", 1, "the file of peer 'tor-a' must not be empty"),
        ("passwordFiles: [a, b]", 1, "mapping"),
    ])
    func invalidConfigurations(text: String, line: Int, message: String) {
        do {
            let configuration = try decodeConfiguration(text)
            Issue.record("accepted: \(text) as \(configuration)")
        } catch {
            let problem = error.problems.first
            #expect(problem?.message.contains(message) == true, "\(error)")
            #expect(problem?.location?.file == "bgp.yaml")
            #expect(problem?.location?.line == line, "\(error)")
        }
    }

    @Test func listeningFollowsPassivePeersUnlessAlways() {
        let active = BGPPeer(name: "a", myASN: 1, peerASN: 2, peerAddress: IPAddress("10.0.0.1"))
        var passive = active
        passive.passive = true
        #expect(!BGPAnnouncer.Configuration.Listen.auto.listens(for: []))
        #expect(!BGPAnnouncer.Configuration.Listen.auto.listens(for: [active]))
        #expect(BGPAnnouncer.Configuration.Listen.auto.listens(for: [active, passive]))
        #expect(!BGPAnnouncer.Configuration.Listen.always.listens(for: []))
        #expect(BGPAnnouncer.Configuration.Listen.always.listens(for: [active]))
    }

    @Test func zeroHoldTimeMeansNoKeepalivesAndIsValid() throws {
        #expect(try decodeConfiguration("holdTime: 0").holdTime == GoDuration(seconds: 0))
    }

    @Test func theExamplePluginFileLoadsAndShowsEveryKey() throws {
        let path = repositoryFile("plugins.d/bgp.yaml").path
        let file = try PluginFile(path: path)
        #expect(file.kind == "bgp")
        _ = try StrictYAMLDecoder().decode(BGPAnnouncer.Configuration.self, from: file.configuration)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in allKeys {
            let leaf = key.split(separator: ".").last!
            #expect(text.contains("\(leaf):"), "plugins.d/bgp.yaml does not show `\(key)`")
        }
    }

    @Test func docsHaveARowForEveryKey() throws {
        let text = try String(contentsOf: repositoryFile("docs/bgp.md"), encoding: .utf8)
        for key in allKeys where !allKeys.contains(where: { $0.hasPrefix(key + ".") }) {
            #expect(text.contains("| `\(key)` |"), "docs/bgp.md has no table row for `\(key)`")
        }
        let peerKeys = ["name", "myASN", "peerASN", "dynamicASN", "localASN", "peerAddress", "interface",
                        "sourceAddress", "peerPort", "holdTime", "keepaliveTime", "connectTime", "routerID",
                        "nodeSelectors", "password", "passwordSecret", "bfdProfile", "enableGracefulRestart",
                        "ebgpMultiHop", "vrf", "dualStackAddressFamily", "passive"]
        for key in peerKeys {
            #expect(text.contains("| `\(key)` |") || text.contains("`\(key)` /") || text.contains("/ `\(key)`"),
                    "docs/bgp.md does not say how lbd honours the peer field `\(key)`")
        }
    }
}
