import Foundation
import LabKit
import LBKernel
import Synchronization

/// BIRD 2 in a lab namespace: its own configuration file, control socket and pid file in a directory of the lab.
///
/// `bird -f -c bird.conf -s bird.ctl -P bird.pid` (foreground, so the pid is bird's); `birdc -s bird.ctl` reads
/// sessions (`show protocols all`) and routes (`show route table masterN all`, text: BIRD has no JSON).
final class BIRDRouter: Router {
    let kind = RouterKind.bird
    let node: LabNode
    let configuration: RouterConfiguration
    private let lab: NetworkLab
    private let directory: URL
    private let daemon = Mutex<LabProcess?>(nil)

    /// An adapter for `configuration` in `node`; nothing runs until `start`.
    init(lab: NetworkLab, node: LabNode, configuration: RouterConfiguration) throws {
        try Tools.require(Tools.bird)
        self.lab = lab
        self.node = node
        self.configuration = configuration
        directory = try lab.subdirectory("bird-\(node.namespace)")
        try BIRDRouter.configurationText(configuration, interface: node.interface)
            .write(to: directory.appendingPathComponent("bird.conf"), atomically: true, encoding: .utf8)
    }

    private var controlSocket: String { directory.appendingPathComponent("bird.ctl").path }

    /// The protocol name BIRD gives the session with the neighbour at `index`.
    static func protocolName(_ index: Int) -> String { "peer\(index + 1)" }

    /// BIRD's configuration for `configuration`: one `bgp` protocol per neighbour (direct, as every lab session is
    /// single hop), `import all`, and `export` only of the router's own static routes.
    static func configurationText(_ configuration: RouterConfiguration, interface: String) -> String {
        var text = """
            router id \(configuration.routerID);
            log stderr all;
            protocol device { scan time 1; }

            """
        if let bfd = configuration.neighbors.compactMap(\.bfd).first {
            text += """
                protocol bfd {
                  interface "\(interface)" {
                    min rx interval \(bfd.receiveInterval) ms;
                    min tx interval \(bfd.transmitInterval) ms;
                    multiplier \(bfd.detectMultiplier);
                  };
                }

                """
        }
        for family in IPFamily.allCases {
            let routes = configuration.announcements.filter { $0.prefix.family == family }
            guard !routes.isEmpty else { continue }
            text += "protocol static announce\(family == .ipv4 ? 4 : 6) {\n  \(family == .ipv4 ? "ipv4" : "ipv6");\n"
            for route in routes {
                var attributes: [String] = []
                for community in route.communities {
                    switch community {
                    case .standard(let a, let b): attributes.append("bgp_community.add((\(a),\(b)));")
                    case .large(let a, let b, let c): attributes.append("bgp_large_community.add((\(a),\(b),\(c)));")
                    }
                }
                if let localPref = route.localPref { attributes.append("bgp_local_pref = \(localPref);") }
                if let med = route.med { attributes.append("bgp_med = \(med);") }
                text += "  route \(route.prefix) blackhole { \(attributes.joined(separator: " ")) };\n"
            }
            text += "}\n\n"
        }
        let export = configuration.announcements.isEmpty ? "export none;" : "export where source = RTS_STATIC;"
        for (index, neighbor) in configuration.neighbors.enumerated() {
            text += """
                protocol bgp \(protocolName(index)) {
                  local \(neighbor.localAddress) as \(configuration.asn);
                  neighbor \(neighbor.address) as \(neighbor.asn);
                  direct;
                  hold time \(neighbor.holdTime);
                  keepalive time \(max(1, neighbor.holdTime / 3));
                  connect delay time 1;
                  connect retry time 1;
                  error wait time 1, 2;

                """
            if neighbor.passive { text += "  passive on;\n" }
            if let password = neighbor.password { text += "  password \"\(password)\";\n" }
            if let restart = neighbor.gracefulRestart {
                text += "  graceful restart on;\n  graceful restart time \(restart.restartTime);\n"
            } else {
                text += "  graceful restart off;\n"
            }
            if neighbor.bfd != nil { text += "  bfd on;\n" }
            for family in neighbor.families {
                let nextHopSelf = configuration.announcements.isEmpty ? "" : " next hop self;"
                text += "  \(family == .ipv4 ? "ipv4" : "ipv6") { import all; \(export)\(nextHopSelf) };\n"
            }
            text += "}\n\n"
        }
        return text
    }

    /// Starts bird in the foreground; `recovering` passes `-R` (graceful restart recovery: wait for the peers'
    /// End-of-RIB before exporting, as after a crash).
    func start(recovering: Bool) async throws {
        let command = ["bird", "-f", "-c", directory.appendingPathComponent("bird.conf").path, "-s", controlSocket,
                       "-P", directory.appendingPathComponent("bird.pid").path] + (recovering ? ["-R"] : [])
        let process = try lab.spawn("bird-\(node.namespace)", command, in: node,
                                    logFile: directory.appendingPathComponent("bird.log"))
        daemon.withLock { $0 = process }
        try await poll("BIRD's control socket in \(node.namespace)", within: .seconds(15),
                       abortIf: { try requireRunning() }) { () -> Bool? in
            let status = try await birdc(["show", "status"])
            return status.contains("Daemon is up and running") ? true : nil
        }
    }

    func start() async throws { try await start(recovering: false) }

    func stop() async { await daemon.withLock({ $0 })?.stop(SIGTERM) }

    func kill() async { await daemon.withLock({ $0 })?.stop(SIGKILL) }

    func requireRunning() throws {
        guard let process = daemon.withLock({ $0 }) else { throw LabError("BIRD in \(node.namespace) was not started") }
        try process.requireRunning()
    }

    /// Runs `birdc <command>` against this BIRD and returns its output (birdc's banner included).
    func birdc(_ command: [String]) async throws -> String {
        try await lab.run(["birdc", "-s", controlSocket] + command, in: node, timeout: .seconds(10)).stdout
    }

    func sessionState(with neighbor: IPAddress) async throws -> SessionState {
        guard let index = configuration.neighbors.firstIndex(where: { $0.address == neighbor }) else {
            throw LabError("BIRD in \(node.namespace) has no neighbour \(neighbor)")
        }
        let output = try await birdc(["show", "protocols", "all", BIRDRouter.protocolName(index)])
        return BIRDRouteParser.sessionState(output)
    }

    /// Routes of a neighbour in graceful restart are marked stale: BIRD shows that per session, not per route, so
    /// between the neighbour's return and its End-of-RIB the routes it has already sent again still read as stale.
    func routes(_ family: IPFamily) async throws -> [RouterRoute] {
        let restarting = BIRDRouteParser.restartingProtocols(try await birdc(["show", "protocols", "all"]))
        let output = try await birdc(["show", "route", "table", family == .ipv4 ? "master4" : "master6", "all"])
        let names = Dictionary(uniqueKeysWithValues: configuration.neighbors.enumerated().map {
            (BIRDRouter.protocolName($0.offset), $0.element.address)
        })
        return try BIRDRouteParser.routes(output).map { entry in
            var route = entry.route
            route.peer = names[entry.protocolName]
            route.stale = route.stale || restarting.contains(entry.protocolName)
            return route
        }
    }

    /// The BFD session's state with `neighbor` as BIRD reports it (`Up`, `Down`, `Init`…), or nil without one.
    func bfdState(with neighbor: IPAddress) async throws -> String? {
        BIRDRouteParser.bfdState(try await birdc(["show", "bfd", "sessions"]), neighbor: neighbor)
    }
}
