import Foundation
import LabKit
import LBKernel
import Synchronization

/// FRR in a lab namespace: zebra, bgpd (and bfdd when a neighbour has BFD) started directly, each with its own
/// configuration file, pid file and vty socket in a directory of the lab.
///
/// The daemons run as `-u root -g frrvty` (zebra refuses root otherwise; bgp-baseline.md pitfall 3), bgpd with
/// `-n` (no kernel routes) and `-P 0` (no vty TCP port). `vtysh --vty_socket <dir>` reads JSON:
/// `show bgp neighbors <addr> json` and `show bgp ipv4 unicast json detail`.
final class FRRRouter: Router {
    let kind = RouterKind.frr
    let node: LabNode
    let configuration: RouterConfiguration
    private let lab: NetworkLab
    private let directory: URL
    private let daemons = Mutex<[LabProcess]>([])

    /// An adapter for `configuration` in `node`; nothing runs until `start`.
    init(lab: NetworkLab, node: LabNode, configuration: RouterConfiguration) throws {
        try Tools.require(Tools.frr)
        self.lab = lab
        self.node = node
        self.configuration = configuration
        directory = try lab.subdirectory("frr-\(node.namespace)")
        try "hostname \(node.namespace)\n".write(to: file("zebra.conf"), atomically: true, encoding: .utf8)
        try FRRRouter.bgpdConfiguration(configuration, hostname: node.namespace)
            .write(to: file("bgpd.conf"), atomically: true, encoding: .utf8)
        try FRRRouter.bfddConfiguration(configuration, hostname: node.namespace)
            .write(to: file("bfdd.conf"), atomically: true, encoding: .utf8)
    }

    private func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    private var usesBFD: Bool { configuration.neighbors.contains { $0.bfd != nil } }

    /// The BFD profile name of the neighbour at `index`.
    static func bfdProfile(_ index: Int) -> String { "lbdt-peer\(index + 1)" }

    /// bgpd's configuration. No `!` comments inside lines (FRR rejects the whole line); `no bgp
    /// ebgp-requires-policy` or eBGP sends and accepts nothing (RFC 8212 default); a receiver sends nothing back.
    static func bgpdConfiguration(_ configuration: RouterConfiguration, hostname: String) -> String {
        var lines = ["frr defaults traditional", "hostname \(hostname)", "log stdout informational", "!"]
        lines += ["route-map LBDT-NOTHING deny 10", "exit", "!"]
        for (index, route) in configuration.announcements.enumerated() {
            lines.append("route-map LBDT-ANNOUNCE-\(index + 1) permit 10")
            let standard = route.communities.filter { !$0.isLarge }.map(\.description)
            let large = route.communities.compactMap { community -> String? in
                if case .large(let a, let b, let c) = community { "\(a):\(b):\(c)" } else { nil }
            }
            if !standard.isEmpty { lines.append(" set community \(standard.joined(separator: " "))") }
            if !large.isEmpty { lines.append(" set large-community \(large.joined(separator: " "))") }
            if let localPref = route.localPref { lines.append(" set local-preference \(localPref)") }
            if let med = route.med { lines.append(" set metric \(med)") }
            lines += ["exit", "!"]
        }
        lines += ["router bgp \(configuration.asn)",
                  " bgp router-id \(configuration.routerID)",
                  " no bgp ebgp-requires-policy",
                  " no bgp default ipv4-unicast",
                  " no bgp network import-check"]
        if let restart = configuration.neighbors.compactMap(\.gracefulRestart).first {
            lines += [" bgp graceful-restart restart-time \(restart.restartTime)",
                      " bgp graceful-restart stalepath-time \(restart.stalePathTime)"]
        }
        for (index, neighbor) in configuration.neighbors.enumerated() {
            let peer = " neighbor \(neighbor.address)"
            lines += ["\(peer) remote-as \(neighbor.asn)",
                      "\(peer) timers \(max(1, neighbor.holdTime / 3)) \(neighbor.holdTime)",
                      "\(peer) timers connect 1",
                      "\(peer) update-source \(neighbor.localAddress)"]
            if neighbor.passive { lines.append("\(peer) passive") }
            if let password = neighbor.password { lines.append("\(peer) password \(password)") }
            lines.append(neighbor.gracefulRestart == nil ? "\(peer) graceful-restart-disable"
                         : "\(peer) graceful-restart-helper")
            if neighbor.bfd != nil { lines += ["\(peer) bfd", "\(peer) bfd profile \(bfdProfile(index))"] }
        }
        for family in IPFamily.allCases {
            lines.append(" address-family \(family == .ipv4 ? "ipv4" : "ipv6") unicast")
            for (index, route) in configuration.announcements.enumerated() where route.prefix.family == family {
                lines.append("  network \(route.prefix) route-map LBDT-ANNOUNCE-\(index + 1)")
            }
            for neighbor in configuration.neighbors where neighbor.families.contains(family) {
                lines.append("  neighbor \(neighbor.address) activate")
                if configuration.announcements.isEmpty {
                    lines.append("  neighbor \(neighbor.address) route-map LBDT-NOTHING out")
                } else if neighbor.isInternal(to: configuration.asn) {
                    lines.append("  neighbor \(neighbor.address) next-hop-self")
                }
            }
            lines.append(" exit-address-family")
        }
        lines += ["exit", "!"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// bfdd's configuration: one profile per neighbour with BFD (bgpd refers to it by name).
    static func bfddConfiguration(_ configuration: RouterConfiguration, hostname: String) -> String {
        var lines = ["hostname \(hostname)", "log stdout informational", "!", "bfd"]
        for (index, neighbor) in configuration.neighbors.enumerated() {
            guard let bfd = neighbor.bfd else { continue }
            lines += [" profile \(bfdProfile(index))",
                      "  receive-interval \(bfd.receiveInterval)",
                      "  transmit-interval \(bfd.transmitInterval)",
                      "  detect-multiplier \(bfd.detectMultiplier)",
                      " exit"]
        }
        lines += ["exit", "!"]
        return lines.joined(separator: "\n") + "\n"
    }

    private func daemonCommand(_ name: String, _ extra: [String] = []) -> [String] {
        ["/usr/lib/frr/\(name)", "-f", file("\(name).conf").path, "-i", file("\(name).pid").path,
         "--vty_socket", directory.path, "-u", "root", "-g", "frrvty", "-P", "0"] + extra
    }

    func start() async throws {
        let zserv = file("zserv.api").path
        try? FileManager.default.removeItem(atPath: zserv)
        let zebra = try lab.spawn("zebra-\(node.namespace)", daemonCommand("zebra", ["-z", zserv]), in: node,
                                  logFile: file("zebra.log"))
        daemons.withLock { $0 = [zebra] }
        try await poll("zebra's API socket in \(node.namespace)", within: .seconds(15),
                       abortIf: { try zebra.requireRunning() }) { () -> Bool? in
            FileManager.default.fileExists(atPath: zserv) ? true : nil
        }
        if usesBFD {
            let bfdd = try lab.spawn("bfdd-\(node.namespace)", daemonCommand("bfdd", ["-z", zserv]), in: node,
                                     logFile: file("bfdd.log"))
            daemons.withLock { $0.append(bfdd) }
        }
        let bgpd = try lab.spawn("bgpd-\(node.namespace)", daemonCommand("bgpd", ["-z", zserv, "-n"]), in: node,
                                 logFile: file("bgpd.log"))
        daemons.withLock { $0.append(bgpd) }
        try await poll("bgpd's vty in \(node.namespace)", within: .seconds(15),
                       abortIf: { try requireRunning() }) { () -> Bool? in
            let output = try await vtysh("show bgp summary json")
            return output.contains("\"routerId\"") || output.contains("{") ? true : nil
        }
        if usesBFD {
            try await poll("bfdd's vty in \(node.namespace)", within: .seconds(15),
                           abortIf: { try requireRunning() }) { () -> Bool? in
                _ = try await vtysh("show bfd peers json")
                return true
            }
        }
    }

    func stop() async {
        // bgpd first: it closes its sessions with a Cease while zebra is still there.
        for process in daemons.withLock({ $0 }).reversed() { await process.stop(SIGTERM) }
    }

    func kill() async {
        for process in daemons.withLock({ $0 }).reversed() { await process.stop(SIGKILL) }
    }

    func requireRunning() throws {
        let running = daemons.withLock { $0 }
        guard !running.isEmpty else { throw LabError("FRR in \(node.namespace) was not started") }
        for process in running { try process.requireRunning() }
    }

    /// Runs `vtysh -c <command>` against this FRR and returns its output.
    func vtysh(_ command: String) async throws -> String {
        try await lab.run(["vtysh", "--vty_socket", directory.path, "-c", command], in: node,
                          timeout: .seconds(10)).stdout
    }

    func sessionState(with neighbor: IPAddress) async throws -> SessionState {
        try FRRRouteParser.sessionState(try await vtysh("show bgp neighbors \(neighbor) json"), neighbor: neighbor)
    }

    /// The BFD session's state with `neighbor` as bfdd reports it (`up`, `down`, `init`…), or nil without one.
    func bfdState(with neighbor: IPAddress) async throws -> String? {
        try FRRRouteParser.bfdState(try await vtysh("show bfd peers json"), neighbor: neighbor)
    }

    func routes(_ family: IPFamily) async throws -> [RouterRoute] {
        try FRRRouteParser.routes(try await vtysh("show bgp \(family == .ipv4 ? "ipv4" : "ipv6") unicast json detail"))
            .filter { $0.peer != nil }
    }
}
