import LBKernel
import Testing
@testable import Layer2Plugin

/// The layer2 plugin file as far as the heartbeat goes: `heartbeat:` holds the membership's configuration.
private struct HeartbeatSection: Decodable {
    var heartbeat: Membership.Configuration
    enum CodingKeys: String, CodingKey, CaseIterable { case heartbeat }
}

/// Decodes `text` (the lines under `heartbeat:`, indented by the caller's YAML) strictly, as the plugin file is.
private func decodeHeartbeat(_ text: String) throws(ConfigError) -> Membership.Configuration {
    let node: YAMLNode
    do { node = try YAMLNode.documents(in: text, file: "layer2.yaml")[0] } catch { throw ConfigError([error]) }
    return try StrictYAMLDecoder().decode(HeartbeatSection.self, from: node).heartbeat
}

@Suite("Membership configuration")
struct MembershipConfigurationTests {
    @Test func onlyTheKeyIsRequired() throws {
        let configuration = try decodeHeartbeat("heartbeat: {keyFile: heartbeat.key}")
        #expect(configuration == Membership.Configuration(keyFile: "heartbeat.key"))
        #expect(configuration.port == 7947)
        #expect(configuration.group == IPv4Address(239, 255, 76, 68))
        #expect(configuration.peers.isEmpty)
        #expect(configuration.interval == GoDuration(nanoseconds: 100_000_000))
        #expect(configuration.intervalMilliseconds == 100)
        #expect(configuration.deadAfter == 3)
        #expect(configuration.maxClockSkew == GoDuration(seconds: 10))
    }

    @Test func everyKey() throws {
        let configuration = try decodeHeartbeat("""
            heartbeat:
              port: 7000
              group: 239.1.2.3
              peers: [10.0.0.1, "fd00::2"]
              interval: 20ms
              deadAfter: 5
              key: "0123456789abcdef"
              maxClockSkew: 2s
            """)
        #expect(configuration == Membership.Configuration(
            port: 7000, group: IPv4Address(239, 1, 2, 3), peers: [IPAddress("10.0.0.1")!, IPAddress("fd00::2")!],
            interval: GoDuration(nanoseconds: 20_000_000), deadAfter: 5, key: "0123456789abcdef",
            maxClockSkew: GoDuration(seconds: 2)))
        #expect(try configuration.keys() == [HeartbeatKey("0123456789abcdef")])
    }

    @Test(arguments: [
        ("{keyFile: k, intervall: 5ms}", "heartbeat.intervall", "unknown key 'intervall'"),
        ("{keyFile: k, interval: 4ms}", "heartbeat.interval", "must be at least 5ms, found 4ms"),
        ("{keyFile: k, interval: 2m}", "heartbeat.interval", "must be at most 1m"),
        ("{keyFile: k, interval: 5500us}", "heartbeat.interval", "whole milliseconds"),
        ("{keyFile: k, interval: often}", "heartbeat.interval", "is not a duration"),
        ("{keyFile: k, deadAfter: 1}", "heartbeat.deadAfter", "must be at least 2, found 1"),
        ("{keyFile: k, deadAfter: 1001}", "heartbeat.deadAfter", "at most 1000"),
        ("{keyFile: k, port: 0}", "heartbeat.port", "must be a port from 1 to 65535"),
        ("{keyFile: k, group: 10.0.0.1}", "heartbeat.group", "is not a multicast address"),
        ("{keyFile: k, group: 'ff02::1'}", "heartbeat.group", "is not an IPv4 address"),
        ("{keyFile: k, peers: [10.0.0.1, 10.0.0.1]}", "heartbeat.peers", "listed twice"),
        ("{keyFile: k, peers: [239.1.1.1]}", "heartbeat.peers", "multicast"),
        ("{keyFile: k, peers: ['fe80::1']}", "heartbeat.peers", "link-local"),
        ("{keyFile: k, peers: [0.0.0.0]}", "heartbeat.peers", "unspecified"),
        ("{keyFile: k, maxClockSkew: 0s}", "heartbeat.maxClockSkew", "at least 1ms"),
        ("{}", "heartbeat", "a shared key is required"),
        ("{key: '0123456789abcdef', keyFile: k}", "heartbeat.keyFile", "not both"),
        ("{key: short}", "heartbeat.key", "at least 16 octets, found 5"),
        ("{keyFile: ''}", "heartbeat.keyFile", "must not be empty"),
    ])
    func invalidSettingsNameTheirKey(settings: String, field: String, message: String) {
        do {
            let configuration = try decodeHeartbeat("heartbeat: \(settings)")
            Issue.record("accepted \(settings) as \(configuration)")
        } catch {
            let problem = error.problems.first
            #expect(problem?.field == field, "\(error)")
            #expect(problem?.message.contains(message) == true, "\(error)")
            #expect(problem?.location?.file == "layer2.yaml")
            #expect(!error.description.contains("short"), "the key never appears in errors: \(error)")
        }
    }

    @Test func theDescriptionHidesTheKey() {
        let configuration = Membership.Configuration(key: "0123456789abcdef-secret")
        #expect(!configuration.description.contains("secret"))
        #expect(configuration.description.contains("key: <redacted>"))
    }

    @Test func aRelativeKeyFileResolvesAgainstTheDirectory() {
        let configuration = Membership.Configuration(keyFile: "missing.key")
        let error = #expect(throws: HeartbeatKeyError.self) { try configuration.keys(relativeTo: "/etc/lbd") }
        #expect(error?.file == "/etc/lbd/missing.key")
        let absolute = Membership.Configuration(keyFile: "/run/missing.key")
        let second = #expect(throws: HeartbeatKeyError.self) { try absolute.keys(relativeTo: "/etc/lbd") }
        #expect(second?.file == "/run/missing.key")
    }
}
