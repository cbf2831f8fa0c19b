import Foundation
import LabKit
import LBKernel
import Synchronization

/// Three lbd nodes in a Layer 2 lab with one dual-stack service on the VIPs, and the echo servers behind them.
final class Layer2Cluster: Sendable {
    /// The service's id in the status files.
    static let service = "default/echo"

    /// The lab.
    let lab: Layer2Lab
    /// lbd on n1, n2, n3.
    let nodes: [LBDNode]
    /// The candidates in election order (the IPv4 VIP is the election key: the service's first address).
    let ranking: [String]
    private let echoes = Mutex<[String: LabProcess]>([:])

    private init(lab: Layer2Lab, nodes: [LBDNode]) {
        self.lab = lab
        self.nodes = nodes
        ranking = ExpectedOwner.ranking(of: Layer2Lab.nodeNames, for: "\(Layer2Lab.vip4)")
    }

    /// The policy every node reads: a pool of the two VIPs, a layer2 advertisement of it, the service asking for
    /// both VIPs, and the three nodes as candidates.
    static let policy = """
        pools:
          - name: vips
            addresses: [\(Layer2Lab.vip4)/32, \(Layer2Lab.vip6)/128]
        layer2Advertisements:
          - name: lan
            ipAddressPools: [vips]
        services:
          - name: echo
            addresses: ["\(Layer2Lab.vip4)", "\(Layer2Lab.vip6)"]
            ipFamilyPolicy: RequireDualStack
            ipFamilies: [IPv4, IPv6]
            ports: [UDP/\(Layer2Lab.echoPort)]
        nodes:
          - name: n1
          - name: n2
          - name: n3

        """

    /// Writes the policy and the heartbeat key, starts the echo servers and lbd on every node, and waits until the
    /// nodes agree (`waitUntilSettled`). `layer2` adds lines to every node's layer2 plugin file.
    static func start(in lab: Layer2Lab, layer2: String = "") async throws -> Layer2Cluster {
        try policy.write(to: lab.file("policy.yaml"), atomically: true, encoding: .utf8)
        let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try (key + "\n").write(to: lab.file("heartbeat.key"), atomically: true, encoding: .utf8)
        let nodes = try lab.nodes.map { try LBDNode(lab: lab, host: $0, layer2: layer2) }
        let cluster = Layer2Cluster(lab: lab, nodes: nodes)
        for node in lab.nodes { try await cluster.startEcho(on: node.name) }
        for node in cluster.nodes { try node.start() }
        try await cluster.waitUntilSettled(owner: cluster.ranking[0], live: Set(Layer2Lab.nodeNames))
        return cluster
    }

    /// lbd on node `name`.
    func node(_ name: String) -> LBDNode {
        guard let node = nodes.first(where: { $0.host.name == name }) else { preconditionFailure("no node \(name)") }
        return node
    }

    /// The expected owner's host while every node is up.
    var owner: LabHost { lab.node(ranking[0]) }
    /// The node that takes over when the owner goes.
    var successor: LabHost { lab.node(ranking[1]) }

    /// Starts (or restarts) the echo server of node `name`.
    func startEcho(on name: String) async throws {
        let echo = try await lab.startEcho(on: lab.node(name))
        echoes.withLock { $0[name] = echo }
    }

    /// Kills the echo server of node `name` at once.
    func stopEcho(on name: String) async {
        let echo = echoes.withLock { $0.removeValue(forKey: name) }
        await echo?.stop(SIGKILL)
    }

    /// Every node's status (nil for a node without a status file yet).
    func statuses() throws -> [String: NodeStatus?] {
        Dictionary(uniqueKeysWithValues: try nodes.map { ($0.host.name, try $0.status()) })
    }

    /// Waits (bounded) until every node in `live` is ready, hears exactly the other nodes in `live`, sees `owner` as
    /// the service's owner, and says `owned` (the owner) or `standby` (the others).
    func waitUntilSettled(owner: String, live: Set<String>, within limit: Duration = .seconds(20)) async throws {
        try await poll("nodes \(live.sorted()) to agree that \(owner) owns \(Layer2Cluster.service)", within: limit,
                       every: .milliseconds(50),
                       abortIf: { for name in live { try node(name).requireRunning() } },
                       observe: { try statuses() }, until: { statuses in
            live.allSatisfy { name in
                guard let status = statuses[name] ?? nil, status.ready, Set(status.live) == live.subtracting([name]),
                      let service = status.service(Layer2Cluster.service) else { return false }
                return service.owner == owner && service.state == (name == owner ? "owned" : "standby")
            }
        }, describe: { statuses in
            statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.map { "\($0)" } ?? "no status")" }
                .joined(separator: " | ")
        })
    }

    /// Waits (bounded) until node `name`'s status satisfies `done`, and returns it.
    @discardableResult
    func waitForStatus(of name: String, _ what: String, within limit: Duration = .seconds(10),
                       until done: @escaping (NodeStatus) -> Bool) async throws -> NodeStatus {
        try await poll("\(name)'s status: \(what)", within: limit, every: .milliseconds(20),
                       observe: { try node(name).status() }, until: { $0.map(done) ?? false },
                       describe: { $0.map { "\($0)" } ?? "no status" })!
    }

    /// Waits (bounded) until arping from the observer hears exactly `node` (every reply from its MAC, at least one),
    /// and returns how long that took.
    @discardableResult
    func waitForARP(answeredOnlyBy node: LabHost, within limit: Duration = .seconds(20)) async throws -> Duration {
        let clock = ContinuousClock(), start = clock.now
        try await poll("arping \(Layer2Lab.vip4) from obs to hear only \(node)", within: limit,
                       every: .milliseconds(10),
                       observe: { try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4, count: 2) },
                       until: { !$0.isEmpty && $0.allSatisfy { $0 == node.mac } }, describe: { describe($0) })
        return start.duration(to: clock.now)
    }

    /// True when `macs` (what arping or ndisc6 heard) holds at least `count` answers, all from `host`. lbd's repeated
    /// gratuitous announcements after a takeover may add answers from the owner, never from another node (the
    /// control frames of FrameBarrage check one answer per request, after the announcements have stopped).
    static func only(_ host: LabHost, in macs: [String], atLeast count: Int = 1) -> Bool {
        macs.count >= count && macs.allSatisfy { $0 == host.mac }
    }

    /// MACs with the nodes' names, for messages: `[02:97:00:00:00:13 (n3), …]`.
    func describe(_ macs: [String]) -> String {
        "[" + macs.map { mac in "\(mac)" + (lab.host(withMAC: mac).map { " (\($0.name))" } ?? "") }
            .joined(separator: ", ") + "]"
    }
}
