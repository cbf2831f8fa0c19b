// The router lab: acceptance tests of lbd against real routers, in network namespaces the tests create (root).
//
// NetworkLab (here) makes two namespaces joined by a veth pair and always removes them (`withLab`); LabKit's
// ChildProcess, Command and LabProcess start programs in them by pid. Router is what the tests drive (start, stop,
// kill, session state, RIB as RouterRoute values): BIRDRouter, FRRRouter and GoBGPRouter write each daemon's own
// configuration and read its control interface through BIRDRouteParser, FRRRouteParser and GoBGPRouteParser.
// LBDSpeaker runs the lbd binary with files written from an LBDPolicy; LBDScenario is the common setup of the lbd
// tests and what the router must then show. PacketCapture records a veth with tcpdump and checks it with tshark;
// RIBWatch checks that routes are never missing while something restarts. Waits are bounded (LabKit's `poll`); a
// missing tool fails the test with the package to install (Tools, RouterTools). Set LBDT_KEEP=1 to keep a lab's
// directory (configs, logs, captures) after the test.

import Foundation
import LabKit
import LBKernel
import Synchronization

/// One side of a lab: a network namespace holding one end of the veth pair and its addresses.
struct LabNode: Sendable, CustomStringConvertible {
    /// The namespace's name (`lbdt-<id>-rtr` or `lbdt-<id>-spk`).
    var namespace: String
    /// The veth end inside it (`veth-rtr` or `veth-spk`).
    var interface: String
    /// The IPv4 address on the veth (10.x.0.1 or .2, /24).
    var ipv4: IPv4Address
    /// The IPv6 address on the veth (fd00:x::1 or ::2, /64).
    var ipv6: IPv6Address
    /// The veth's IPv6 link-local address (usable: DAD is off, so it is never tentative).
    var linkLocal: IPv6Address

    /// The node's address of `family`.
    func address(_ family: IPFamily) -> IPAddress { family == .ipv4 ? .v4(ipv4) : .v6(ipv6) }

    /// A BGP router ID for daemons in this node (its IPv4 address).
    var routerID: IPv4Address { ipv4 }

    /// `namespace (interface ipv4 ipv6)`.
    var description: String { "\(namespace) (\(interface) \(ipv4) \(ipv6) \(linkLocal))" }
}

/// How `NetworkLab.cutLink` breaks the link.
enum LinkCut: Sendable {
    /// `ip link set down` on the router's side: both ends lose carrier, and the daemons can see it.
    case down
    /// Every packet is dropped both ways (a `pfifo limit 0` root qdisc on both ends) while the link stays up, as
    /// when a cable or a switch dies further away: only timers (hold time, BFD) can notice.
    case silent
}

/// Two network namespaces joined by a veth pair, a temporary directory, and the processes started in them.
///
/// Use it through `withLab`, which always removes the namespaces and kills the lab's processes, whatever the test
/// does. The router under test lives in `router`, the speaker (lbd, or another router in the harness self-tests) in
/// `speaker`. Traffic never leaves the two namespaces.
final class NetworkLab: Sendable {
    /// A random suffix naming this lab's namespaces and directory.
    let id: String
    /// The router's side: `lbdt-<id>-rtr`, 10.x.0.1/24, fd00:x::1/64 on `veth-rtr`.
    let router: LabNode
    /// The speaker's side: `lbdt-<id>-spk`, 10.x.0.2/24, fd00:x::2/64 on `veth-spk`.
    let speaker: LabNode
    /// A temporary directory for configuration files, sockets, logs and captures (removed with the lab unless
    /// `LBDT_KEEP` is set in the environment).
    let directory: URL
    private let processes = Mutex<[LabProcess]>([])
    private let cut = Mutex<LinkCut?>(nil)

    private init(id: String, subnet: UInt8) {
        self.id = id
        let v6Base = (UInt128(0xfd00) << 112) | (UInt128(subnet) << 96)
        router = LabNode(namespace: "lbdt-\(id)-rtr", interface: "veth-rtr", ipv4: IPv4Address(10, subnet, 0, 1),
                         ipv6: IPv6Address(v6Base | 1), linkLocal: IPv6Address(0))
        speaker = LabNode(namespace: "lbdt-\(id)-spk", interface: "veth-spk", ipv4: IPv4Address(10, subnet, 0, 2),
                          ipv6: IPv6Address(v6Base | 2), linkLocal: IPv6Address(0))
        directory = URL(fileURLWithPath: "/tmp/lbdt-\(id)")
    }

    private init(_ lab: NetworkLab, router: LabNode, speaker: LabNode) {
        id = lab.id
        self.router = router
        self.speaker = speaker
        directory = lab.directory
    }

    /// Creates the namespaces, the veth pair and the addresses, and waits for usable link-local addresses.
    static func create() async throws -> NetworkLab {
        guard geteuid() == 0 else {
            throw LabError("the router lab needs root (network namespaces); run the BGPRouterTests as root, as CI does")
        }
        try Tools.require(Tools.lab)
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let id = String((0..<6).map { _ in letters.randomElement()! })
        let lab = NetworkLab(id: id, subnet: UInt8.random(in: 1...254))
        do {
            return try await lab.setUp()
        } catch {
            await lab.destroy()
            throw error
        }
    }

    private func setUp() async throws -> NetworkLab {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for node in [router, speaker] {
            try await Command.check(["ip", "netns", "add", node.namespace])
            try await Command.check(["ip", "-n", node.namespace, "link", "set", "lo", "up"])
            // No duplicate address detection: addresses (link-local ones too) are usable at once, and FRR needs a
            // non-tentative link-local for IPv6 eBGP (bgp-baseline.md pitfall 3).
            // (/proc/sys/net shows the namespace of the process that opens it; sysctl would need procps.)
            try await run(["sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && "
                           + "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad"], in: node)
        }
        // Both ends are created inside their namespaces: no name ever appears in the host's namespace.
        try await Command.check(["ip", "link", "add", router.interface, "netns", router.namespace, "type", "veth",
                                 "peer", "name", speaker.interface, "netns", speaker.namespace])
        for node in [router, speaker] {
            try await Command.check(["ip", "-n", node.namespace, "addr", "add", "\(node.ipv4)/24",
                                     "dev", node.interface])
            try await Command.check(["ip", "-n", node.namespace, "addr", "add", "\(node.ipv6)/64",
                                     "dev", node.interface, "nodad"])
            try await Command.check(["ip", "-n", node.namespace, "link", "set", node.interface, "up"])
        }
        var router = self.router, speaker = self.speaker
        router.linkLocal = try await waitForLinkLocal(router)
        speaker.linkLocal = try await waitForLinkLocal(speaker)
        return NetworkLab(self, router: router, speaker: speaker)
    }

    /// Waits (bounded) until `node`'s veth has a link-local IPv6 address that is not tentative, and returns it.
    func waitForLinkLocal(_ node: LabNode) async throws -> IPv6Address {
        try await poll("a usable link-local address on \(node.interface) in \(node.namespace)", within: .seconds(10),
                       every: .milliseconds(20)) { () -> IPv6Address? in
            let result = try await Command.check(["ip", "-n", node.namespace, "-j", "-6", "addr", "show",
                                                  "dev", node.interface])
            let interfaces = try JSONDecoder().decode([InterfaceAddresses].self, from: Data(result.stdout.utf8))
            let usable = interfaces.flatMap(\.addr_info).first {
                $0.scope == "link" && $0.tentative != true && $0.dadfailed != true
            }
            return usable.flatMap { IPv6Address($0.local) }
        }
    }

    private struct InterfaceAddresses: Decodable {
        struct Address: Decodable {
            var local: String
            var scope: String?
            var tentative: Bool?
            var dadfailed: Bool?
        }
        var addr_info: [Address]
    }

    /// The other side of the veth pair from `node`.
    func peer(of node: LabNode) -> LabNode { node.namespace == router.namespace ? speaker : router }

    /// A file in the lab's directory.
    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// A fresh subdirectory of the lab's directory (for one daemon's files).
    func subdirectory(_ name: String) throws -> URL {
        let url = file(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The command line that runs `arguments` inside `node`'s namespace.
    func inNamespace(_ node: LabNode, _ arguments: [String]) -> [String] {
        ["ip", "netns", "exec", node.namespace] + arguments
    }

    /// Runs `arguments` in `node`'s namespace to completion; throws unless it exits with status 0.
    @discardableResult
    func run(_ arguments: [String], in node: LabNode, timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await Command.check(inNamespace(node, arguments), timeout: timeout)
    }

    /// Runs `arguments` in `node`'s namespace to completion, whatever its status.
    func attempt(_ arguments: [String], in node: LabNode, timeout: Duration = .seconds(30)) async throws
        -> CommandResult {
        try await Command.run(inNamespace(node, arguments), timeout: timeout)
    }

    /// Starts the long-running `arguments` in `node`'s namespace (its pid is the program's own: `ip netns exec`
    /// execs it), logging to `<name>.log` in the lab's directory unless `logFile` says otherwise. The lab kills
    /// it when it is destroyed.
    func spawn(_ name: String, _ arguments: [String], in node: LabNode, logFile: URL? = nil,
               environment: [String: String]? = nil) throws -> LabProcess {
        let process = try LabProcess(name: name, command: inNamespace(node, arguments),
                                     logFile: logFile ?? file("\(name).log"), environment: environment)
        processes.withLock { $0.append(process) }
        return process
    }

    /// Every process this lab started that is still running.
    var runningProcesses: [LabProcess] { processes.withLock { $0.filter(\.isRunning) } }

    /// Breaks the link between the two namespaces (see `LinkCut`).
    func cutLink(_ how: LinkCut = .down) async throws {
        try await restoreLink()
        switch how {
        case .down:
            try await Command.check(["ip", "-n", router.namespace, "link", "set", router.interface, "down"])
        case .silent:
            // netem is not available everywhere; a FIFO that holds no packet drops every one, and every kernel
            // with traffic control has it.
            for node in [router, speaker] {
                try await Command.check(["tc", "-n", node.namespace, "qdisc", "replace", "dev", node.interface,
                                         "root", "pfifo", "limit", "0"])
            }
        }
        cut.withLock { $0 = how }
    }

    /// Undoes `cutLink`: the link is up, passes every packet, and has its link-local addresses again.
    func restoreLink() async throws {
        guard let how = cut.withLock({ $0 }) else { return }
        switch how {
        case .down:
            try await Command.check(["ip", "-n", router.namespace, "link", "set", router.interface, "up"])
            // Addresses and routes come back with the link; the link-local ones are regenerated, so wait for them.
            _ = try await waitForLinkLocal(router)
            _ = try await waitForLinkLocal(speaker)
        case .silent:
            for node in [router, speaker] {
                try await Command.check(["tc", "-n", node.namespace, "qdisc", "del", "dev", node.interface, "root"])
            }
        }
        cut.withLock { $0 = nil }
    }

    /// Prints, on standard error, the end of every log of the lab's processes: what the daemons said before a
    /// test failed. With `LBDT_KEEP` set the whole directory stays for a closer look.
    func reportFailure(_ error: any Error) {
        var report = "lab \(id) failed: \(error)\n"
        for process in processes.withLock({ $0 }) {
            report += "--- \(process) log \(process.logFile.path):\n\(process.logTail(40))\n"
        }
        report += LabTeardown.keepHint(directory)
        FileHandle.standardError.write(Data(report.utf8))
    }

    /// Kills every process the lab started, deletes the namespaces and (unless `LBDT_KEEP` is set) the directory.
    /// Never throws: it is the cleanup path.
    func destroy() async {
        await LabTeardown.destroy(processes: processes.withLock { $0 }, namespaces: [router, speaker].map(\.namespace), directory: directory)
    }
}

/// Runs `body` with a fresh lab and always destroys it afterwards (processes killed, namespaces deleted), whether
/// `body` returns, throws or is cancelled. Labs run one at a time (LabKit's `LabGate`, shared with the other labs):
/// each holds a few daemons, on a small machine.
func withLab<T>(isolation: isolated (any Actor)? = #isolation, _ body: (NetworkLab) async throws -> T) async throws
    -> T {
    await LabGate.shared.acquire()
    let result: Result<T, any Error>
    do {
        let lab = try await NetworkLab.create()
        do {
            result = .success(try await body(lab))
        } catch {
            result = .failure(error)
            lab.reportFailure(error)
        }
        // A fresh task: cleanup still runs (and waits properly) when the test's own task has been cancelled.
        await Task { await lab.destroy() }.value
    } catch {
        await LabGate.shared.release()
        throw error
    }
    await LabGate.shared.release()
    return try result.get()
}
