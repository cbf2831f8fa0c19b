import Foundation
import LabKit
import LBKernel
import Synchronization

/// lbd as the speaker in a lab: its configuration files in a directory of the lab (lbd.yaml, plugins.d with the
/// file source and the BGP plugin, one policy-and-services file), run with `lbd run` in the speaker's namespace.
///
/// The services file is watched by lbd's file source: `writePolicy` while lbd runs is how a test adds or withdraws
/// a service. lbd is started by pid like the routers (`ip netns exec` execs it), so `kill()` is a real `kill -9`.
final class LBDSpeaker: Sendable {
    /// The lab it runs in.
    let lab: NetworkLab
    /// The namespace it runs in.
    let node: LabNode
    /// Its configuration directory.
    let directory: URL
    private let process = Mutex<LabProcess?>(nil)
    private let starts = Mutex(0)

    /// Writes lbd's files for node `nodeName` with `policy` (lbd's schema: pools, advertisements, peers,
    /// communities, services) and `bgpPlugin` (the BGP plugin file's keys besides `plugin` and `name`).
    init(lab: NetworkLab, node: LabNode? = nil, nodeName: String = "node-a", policy: LBDPolicy,
         bgpPlugin: String = LBDSpeaker.defaultBGPPlugin) throws {
        self.lab = lab
        self.node = node ?? lab.speaker
        directory = try lab.subdirectory("lbd-\(self.node.namespace)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("plugins.d"),
                                                withIntermediateDirectories: true)
        try write("lbd.yaml", """
            node:
              name: \(nodeName)
            pluginsDirectory: plugins.d
            coalescingDelay: 10ms
            logLevel: debug

            """)
        try write("plugins.d/files.yaml", """
            plugin: file
            name: files
            files: [../services.yaml]
            stateFile: ../state/state.json

            """)
        try write("plugins.d/bgp.yaml", "plugin: bgp\nname: routers\n" + bgpPlugin)
        try writePolicy(policy)
    }

    /// The BGP plugin settings the tests use: quick reconnects (a restarted router is found within a second or
    /// two) and a graceful restart time longer than any test's restart.
    static let defaultBGPPlugin = """
        connectRetry: {initial: 500ms, maximum: 2s}
        gracefulRestartTime: 120s

        """

    private func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Replaces the policy-and-services file (atomically, as an editor would); a running lbd applies it at once.
    func writePolicy(_ policy: LBDPolicy) throws { try write("services.yaml", policy.yaml) }

    /// Starts `lbd run` in the namespace. Output goes to `lbd.log` (one file for every start, appended).
    func start() throws {
        let count = starts.withLock { $0 += 1; return $0 }
        let binary = try LBDBinary.required()
        try "--- start \(count)\n".appendLine(to: logFile)
        let started = try lab.spawn("lbd-\(node.namespace)-\(count)",
                                    [binary, "run", "--config", directory.appendingPathComponent("lbd.yaml").path],
                                    in: node, logFile: logFile)
        process.withLock { $0 = started }
    }

    /// Where lbd's output goes.
    var logFile: URL { directory.appendingPathComponent("lbd.log") }

    /// The running (or last) lbd process.
    var current: LabProcess? { process.withLock { $0 } }

    /// Stops lbd gracefully (SIGTERM: it closes its sessions with a Cease) and waits for it to exit.
    func stop() async { await current?.stop(SIGTERM, grace: .seconds(15)) }

    /// Kills lbd (SIGKILL: no Cease, the kernel closes its TCP connections).
    func kill() async { await current?.stop(SIGKILL) }

    /// Throws, with lbd's log, when lbd has exited.
    func requireRunning() throws {
        guard let current else { throw LabError("lbd was not started") }
        try current.requireRunning()
    }

    /// lbd's output so far (every start).
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}

/// lbd's policy and services for a lab test, written as lbd's YAML schema (docs/configuration.md,
/// docs/file-source.md).
struct LBDPolicy: Sendable {
    /// A `bgpPeers` entry.
    struct Peer: Sendable {
        var name = "router"
        var myASN: UInt32
        var peerASN: UInt32
        var peerAddress: IPAddress
        var holdTime = 9
        var password: String?
        var enableGracefulRestart = false
        var passive = false
        var bfdProfile: String?
        var extra: [String] = []
    }

    /// A `bgpAdvertisements` entry (for every pool).
    struct Advertisement: Sendable {
        var name = "to-routers"
        var communities: [String] = []
        var localPref: UInt32?
        var peers: [String] = []
    }

    /// A `services` entry asking for explicit addresses.
    struct Service: Sendable {
        var name: String
        var addresses: [IPAddress]
    }

    /// The pool's blocks: every service address must be in one.
    var pool: [String] = ["198.51.100.0/24", "2001:db8:51::/64"]
    var peers: [Peer]
    var advertisements: [Advertisement] = [Advertisement()]
    var communities: [(name: String, value: String)] = []
    var services: [Service]
    /// Extra top-level YAML (bfdProfiles…), appended as is.
    var extra = ""

    /// The YAML document.
    var yaml: String {
        var text = "pools:\n  - name: lab\n    addresses: [\(pool.joined(separator: ", "))]\n"
        text += "bgpAdvertisements:\n"
        for advertisement in advertisements {
            text += "  - name: \(advertisement.name)\n    ipAddressPools: [lab]\n"
            if !advertisement.communities.isEmpty {
                text += "    communities: [\(advertisement.communities.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            }
            if let localPref = advertisement.localPref { text += "    localPref: \(localPref)\n" }
            if !advertisement.peers.isEmpty { text += "    peers: [\(advertisement.peers.joined(separator: ", "))]\n" }
        }
        if !communities.isEmpty {
            text += "communities:\n"
            for community in communities { text += "  - {name: \(community.name), value: \"\(community.value)\"}\n" }
        }
        text += "bgpPeers:\n"
        for peer in peers {
            text += """
                  - name: \(peer.name)
                    myASN: \(peer.myASN)
                    peerASN: \(peer.peerASN)
                    peerAddress: "\(peer.peerAddress)"
                    holdTime: \(peer.holdTime)s

                """
            if let password = peer.password { text += "    password: \"\(password)\"\n" }
            if peer.enableGracefulRestart { text += "    enableGracefulRestart: true\n" }
            if peer.passive { text += "    passive: true\n" }
            if let profile = peer.bfdProfile { text += "    bfdProfile: \(profile)\n" }
            for line in peer.extra { text += "    \(line)\n" }
        }
        text += services.isEmpty ? "services: []\n" : "services:\n"
        for service in services {
            text += "  - name: \(service.name)\n    addresses: [\(service.addresses.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        }
        return text + extra
    }
}
