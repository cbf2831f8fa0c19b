import Foundation
import LabKit
import LBKernel
import Synchronization

/// GoBGP in a lab namespace: `gobgpd` with a TOML configuration in a directory of the lab and its gRPC API on the
/// namespace's own loopback; `gobgp -p <port> -j` reads neighbours and the global RIB as JSON.
///
/// GoBGP 3.10 waits 5–9 s before its first active connect, whatever the configuration says (bgp-baseline.md
/// pitfall 2): tests that need a session fast make GoBGP passive.
final class GoBGPRouter: Router {
    let kind = RouterKind.gobgp
    let node: LabNode
    let configuration: RouterConfiguration
    /// The gRPC API port, on 127.0.0.1 inside the namespace (each namespace has a loopback of its own).
    let apiPort = 50051
    private let lab: NetworkLab
    private let directory: URL
    private let daemon = Mutex<LabProcess?>(nil)

    /// An adapter for `configuration` in `node`; nothing runs until `start`.
    init(lab: NetworkLab, node: LabNode, configuration: RouterConfiguration) throws {
        try Tools.require(Tools.gobgp)
        guard configuration.neighbors.allSatisfy({ $0.bfd == nil }) else {
            throw LabError("GoBGP has no BFD; give BFD settings to FRR or BIRD neighbours only")
        }
        self.lab = lab
        self.node = node
        self.configuration = configuration
        directory = try lab.subdirectory("gobgp-\(node.namespace)")
        try GoBGPRouter.configurationText(configuration)
            .write(to: directory.appendingPathComponent("gobgpd.toml"), atomically: true, encoding: .utf8)
    }

    /// gobgpd's TOML. A receiver's default export policy rejects everything, so it sends nothing back.
    static func configurationText(_ configuration: RouterConfiguration) -> String {
        var text = """
            [global.config]
              as = \(configuration.asn)
              router-id = "\(configuration.routerID)"

            """
        if configuration.announcements.isEmpty {
            text += """
                [global.apply-policy.config]
                  default-export-policy = "reject-route"

                """
        }
        for neighbor in configuration.neighbors {
            text += """

                [[neighbors]]
                  [neighbors.config]
                    neighbor-address = "\(neighbor.address)"
                    peer-as = \(neighbor.asn)

                """
            if let password = neighbor.password { text += "    auth-password = \"\(password)\"\n" }
            text += """
                  [neighbors.timers.config]
                    hold-time = \(neighbor.holdTime)
                    keepalive-interval = \(max(1, neighbor.holdTime / 3))
                    connect-retry = 1
                  [neighbors.transport.config]
                    local-address = "\(neighbor.localAddress)"
                    passive-mode = \(neighbor.passive)

                """
            if let restart = neighbor.gracefulRestart {
                text += """
                      [neighbors.graceful-restart.config]
                        enabled = true
                        restart-time = \(restart.restartTime)
                        helper-only = true

                    """
            }
            for family in neighbor.families {
                text += """
                      [[neighbors.afi-safis]]
                        [neighbors.afi-safis.config]
                          afi-safi-name = "\(family == .ipv4 ? "ipv4" : "ipv6")-unicast"

                    """
                if neighbor.gracefulRestart != nil {
                    text += """
                            [neighbors.afi-safis.mp-graceful-restart.config]
                              enabled = true

                        """
                }
            }
        }
        return text
    }

    func start() async throws {
        let command = ["gobgpd", "-f", directory.appendingPathComponent("gobgpd.toml").path, "-t", "toml",
                       "--api-hosts", "127.0.0.1:\(apiPort)", "--pprof-disable", "-p", "-l", "info"]
        let process = try lab.spawn("gobgpd-\(node.namespace)", command, in: node,
                                    logFile: directory.appendingPathComponent("gobgpd.log"))
        daemon.withLock { $0 = process }
        try await poll("gobgpd's API in \(node.namespace)", within: .seconds(15),
                       abortIf: { try requireRunning() }) { () -> Bool? in
            _ = try await gobgp(["global"])
            return true
        }
        for route in configuration.announcements {
            // `origin igp`: the CLI's default is incomplete.
            var arguments = ["global", "rib", "-a", route.prefix.family == .ipv4 ? "ipv4" : "ipv6", "add",
                             "\(route.prefix)", "origin", "igp"]
            let standard = route.communities.filter { !$0.isLarge }.map(\.description)
            let large = route.communities.compactMap { community -> String? in
                if case .large(let a, let b, let c) = community { "\(a):\(b):\(c)" } else { nil }
            }
            if !standard.isEmpty { arguments += ["community", standard.joined(separator: ",")] }
            if !large.isEmpty { arguments += ["large-community", large.joined(separator: ",")] }
            if let localPref = route.localPref { arguments += ["local-pref", "\(localPref)"] }
            if let med = route.med { arguments += ["med", "\(med)"] }
            _ = try await gobgp(arguments)
        }
    }

    func stop() async { await daemon.withLock({ $0 })?.stop(SIGTERM) }

    func kill() async { await daemon.withLock({ $0 })?.stop(SIGKILL) }

    func requireRunning() throws {
        guard let process = daemon.withLock({ $0 }) else { throw LabError("GoBGP in \(node.namespace) was not started") }
        try process.requireRunning()
    }

    /// Runs `gobgp -p <port> -j <arguments>` against this gobgpd and returns its output.
    func gobgp(_ arguments: [String]) async throws -> String {
        try await lab.run(["gobgp", "-p", "\(apiPort)", "-j"] + arguments, in: node, timeout: .seconds(10)).stdout
    }

    func sessionState(with neighbor: IPAddress) async throws -> SessionState {
        try GoBGPRouteParser.sessionState(try await gobgp(["neighbor", "\(neighbor)"]), neighbor: neighbor)
    }

    func routes(_ family: IPFamily) async throws -> [RouterRoute] {
        try GoBGPRouteParser.routes(try await gobgp(["global", "rib", "-a", family == .ipv4 ? "ipv4" : "ipv6"]))
            .filter { $0.peer != nil }
    }
}
