// The Layer 2 lab: acceptance tests of lbd's `layer2` plugin, in network namespaces the tests create (root).
//
// Layer2Lab (here) builds l2-baseline.md §2's topology: a bridge in a `lan` namespace (STP off, no forwarding
// delay, multicast snooping off unless asked), and a veth from it to each of `client`, `obs` (an observer whose
// raw probes never touch the client's neighbour cache) and the nodes n1..n3, on 10.97.0.0/24 and fd00:97::/64. Every
// node holds the VIPs on `lo` with arp_ignore=1 and arp_announce=2 (the production settings: the node accepts the
// VIPs' traffic but its kernel never answers ARP for them; the kernel does not answer NDP for an address on `lo`),
// and runs a UDP echo server on them that answers with the node's name (LabScripts). LBDNode runs lbd per node with
// the file source and the layer2 plugin, Layer2Cluster starts three and waits until they agree; NeighborQueries runs
// arping, ndisc6 and `ip neigh`; Prober records the client's UDP probes (ProbeTimeline measures takeovers);
// FrameBarrage sends raw frames from the observer; ExpectedOwner ranks nodes independently of lbd. Waits are
// bounded (LabKit's `poll`). A failing test prints the end of every log and every status file (expectations go
// through `lab.holds` so that a failed `#expect` does too). LBDT_KEEP=1 keeps a lab's directory (configurations,
// logs, status files); LBDT_SEED=N replays the bad-input test's random frames.

import Foundation
import LabKit
import LBKernel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A bridge and the namespaces around it, a temporary directory, and the processes started in them.
///
/// Use it through `withLayer2Lab`, which always deletes the namespaces and kills the lab's processes. Names are
/// `lbdl-<pid>x<random>-<host>`: the creator's pid lets a later run remove what a crashed one left (`sweepLeftovers`).
final class Layer2Lab: Sendable {
    /// What a lab is built with.
    struct Options: Sendable {
        /// Multicast snooping on the bridge, with the bridge as IGMP/MLD querier (off: multicast floods).
        var snooping = false
    }

    /// The lab's IPv4 VIP.
    static let vip4 = IPv4Address(10, 97, 0, 100)
    /// The lab's IPv6 VIP.
    static let vip6 = IPv6Address("fd00:97::100")!
    /// The echo servers' UDP port.
    static let echoPort = 9999
    /// The nodes' names, which are also lbd's node names.
    static let nodeNames = ["n1", "n2", "n3"]

    /// `<pid>x<random>`: names the namespaces and the directory.
    let id: String
    /// The namespace holding the bridge `br0`.
    let lan: String
    /// The client: probes the VIPs over UDP, its neighbour cache must follow the owner.
    let client: LabHost
    /// The observer: arping, ndisc6 and raw frames.
    let observer: LabHost
    /// n1, n2, n3.
    let nodes: [LabHost]
    /// How it was built.
    let options: Options
    /// Scripts, configurations, logs and status files (removed with the lab unless `LBDT_KEEP` is set).
    let directory: URL
    private let processes = Mutex<[LabProcess]>([])
    private let failed = Mutex(false)

    private init(id: String, options: Options) {
        self.id = id
        self.options = options
        lan = "lbdl-\(id)-lan"
        func host(_ name: String, _ last: UInt8) -> LabHost {
            LabHost(name: name, namespace: "lbdl-\(id)-\(name)", port: "p-\(name)",
                    mac: String(format: "02:97:00:00:00:%02x", last),
                    ipv4: IPv4Address(10, 97, 0, UInt8(String(last, radix: 16))!),
                    ipv6: IPv6Address("fd00:97::\(String(last, radix: 16))")!)
        }
        client = host("client", 0x02)
        observer = host("obs", 0x03)
        nodes = [host("n1", 0x11), host("n2", 0x12), host("n3", 0x13)]
        directory = URL(fileURLWithPath: "/tmp/lbdl-\(id)")
    }

    /// Every host on the bridge.
    var hosts: [LabHost] { [client, observer] + nodes }

    /// The node called `name`.
    func node(_ name: String) -> LabHost {
        guard let node = nodes.first(where: { $0.name == name }) else { preconditionFailure("no node \(name)") }
        return node
    }

    /// The host whose interface has `mac` (for messages), or nil.
    func host(withMAC mac: String) -> LabHost? { hosts.first { $0.mac == mac.lowercased() } }

    /// Builds a lab: namespaces, sysctls, bridge, veths, addresses, the VIPs on every node's `lo`, the scripts.
    static func create(_ options: Options = Options()) async throws -> Layer2Lab {
        guard geteuid() == 0 else {
            throw LabError("the Layer 2 lab needs root (network namespaces); run Layer2LabTests as root, as CI does")
        }
        try Tools.require(Tools.lab + Tools.layer2)
        await sweepLeftovers()
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let lab = Layer2Lab(id: "\(getpid())x" + String((0..<4).map { _ in letters.randomElement()! }),
                            options: options)
        do {
            try await lab.setUp()
            return lab
        } catch {
            await lab.destroy()
            throw error
        }
    }

    private func setUp() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try LabScripts.write(to: directory)
        for namespace in [lan] + hosts.map(\.namespace) {
            try await Command.check(["ip", "netns", "add", namespace])
            try await Command.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
        }
        // Before the interfaces exist, so that they inherit `default` (DAD needs both `all` and the device off).
        try await sysctl(lan, ["ipv6/conf/all/accept_dad": 0, "ipv6/conf/default/accept_dad": 0,
                               "ipv6/conf/default/disable_ipv6": 1])
        for host in hosts {
            var settings = ["ipv6/conf/all/accept_dad": 0, "ipv6/conf/default/accept_dad": 0,
                            "ipv6/conf/all/accept_ra": 0, "ipv6/conf/default/accept_ra": 0,
                            "ipv6/conf/all/keep_addr_on_down": 1, "ipv6/conf/default/keep_addr_on_down": 1,
                            "ipv4/conf/all/arp_accept": 0, "ipv4/conf/all/rp_filter": 0,
                            "ipv4/conf/default/rp_filter": 0]
            if nodes.contains(host) {
                // docs: the VIPs live on `lo`; the kernel must neither answer ARP for them on eth0 (arp_ignore=1)
                // nor use them as the source of its own ARP requests (arp_announce=2).
                settings["ipv4/conf/all/arp_ignore"] = 1
                settings["ipv4/conf/all/arp_announce"] = 2
            }
            try await sysctl(host.namespace, settings)
        }
        try await Command.check(["ip", "-n", lan, "link", "add", "br0", "type", "bridge", "stp_state", "0",
                                 "forward_delay", "0", "mcast_snooping", options.snooping ? "1" : "0"])
        if options.snooping {
            // The MLD querier sends from br0's link-local address; a bridge that sent a query without one forgets
            // that it has IPv6 (and floods) until its next query, so the querier starts once the address is there.
            try await sysctl(lan, ["ipv6/conf/br0/disable_ipv6": 0])
        }
        try await Command.check(["ip", "-n", lan, "link", "set", "br0", "up"])
        if options.snooping {
            try await poll("a link-local address on br0", within: .seconds(10), every: .milliseconds(20)) {
                () -> Bool? in
                let addresses = try await Command.check(["ip", "-n", lan, "-6", "addr", "show", "dev", "br0",
                                                         "scope", "link"]).stdout
                return addresses.contains("fe80::") && !addresses.contains("tentative") ? true : nil
            }
            // IGMPv3/MLDv2 queries, as a modern switch sends: with IGMPv2 queries the nodes answer in IGMPv2, whose
            // report suppression (a host that hears another member's report stays silent; this bridge floods
            // reports) leaves all but one node's port out of the heartbeat group (docs/layer2.md, Heartbeats).
            try await Command.check(["ip", "-n", lan, "link", "set", "br0", "type", "bridge", "mcast_igmp_version", "3",
                                     "mcast_mld_version", "2", "mcast_querier", "1"])
        }
        for host in hosts {
            // Both ends are created inside their namespaces: no name ever appears in the host's namespace.
            try await Command.check(["ip", "link", "add", host.port, "netns", lan, "type", "veth", "peer", "name",
                                     host.interface, "netns", host.namespace])
            try await Command.check(["ip", "-n", lan, "link", "set", host.port, "master", "br0", "up"])
            try await Command.check(["ip", "-n", host.namespace, "link", "set", host.interface,
                                     "address", host.mac])
            try await Command.check(["ip", "-n", host.namespace, "addr", "add", "\(host.ipv4)/24",
                                     "dev", host.interface])
            try await Command.check(["ip", "-n", host.namespace, "addr", "add", "\(host.ipv6)/64",
                                     "dev", host.interface, "nodad"])
            try await Command.check(["ip", "-n", host.namespace, "link", "set", host.interface, "up"])
        }
        for node in nodes { try await addVIPs(to: node, device: "lo") }
        for host in hosts { _ = try await waitForLinkLocal(host) }
    }

    /// Writes `settings` (paths under /proc/sys/net) in `namespace`. (/proc/sys/net shows the namespace of the
    /// process that opens it; `sysctl` would need procps.)
    func sysctl(_ namespace: String, _ settings: [String: Int]) async throws {
        let script = settings.sorted { $0.key < $1.key }
            .map { "echo \($0.value) > /proc/sys/net/\($0.key)" }.joined(separator: " && ")
        try await Command.check(["ip", "netns", "exec", namespace, "sh", "-c", script])
    }

    /// Waits (bounded) until `host`'s interface has a usable (not tentative) link-local IPv6 address.
    @discardableResult
    func waitForLinkLocal(_ host: LabHost) async throws -> String {
        try await poll("a usable link-local address on \(host)", within: .seconds(10), every: .milliseconds(20)) {
            () -> String? in
            let result = try await Command.check(["ip", "-n", host.namespace, "-j", "-6", "addr", "show",
                                                  "dev", host.interface])
            let interfaces = try JSONDecoder().decode([InterfaceAddresses].self, from: Data(result.stdout.utf8))
            return interfaces.flatMap(\.addr_info).first {
                $0.scope == "link" && $0.tentative != true && $0.dadfailed != true
            }?.local
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

    // MARK: Running things

    /// A file in the lab's directory.
    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// The command line that runs `arguments` inside `host`'s namespace.
    func inNamespace(_ host: LabHost, _ arguments: [String]) -> [String] {
        ["ip", "netns", "exec", host.namespace] + arguments
    }

    /// Runs `arguments` in `host`'s namespace to completion; throws unless it exits with status 0.
    @discardableResult
    func run(_ arguments: [String], in host: LabHost, timeout: Duration = .seconds(30)) async throws
        -> CommandResult {
        try await Command.check(inNamespace(host, arguments), timeout: timeout)
    }

    /// Runs `arguments` in `host`'s namespace to completion, whatever its status.
    func attempt(_ arguments: [String], in host: LabHost, timeout: Duration = .seconds(30)) async throws
        -> CommandResult {
        try await Command.run(inNamespace(host, arguments), timeout: timeout)
    }

    /// Starts the long-running `arguments` in `host`'s namespace (its pid is the program's own: `ip netns exec` execs
    /// it), logging to `<name>.log` in the lab's directory unless `logFile` says otherwise. The lab kills it when it
    /// is destroyed.
    func spawn(_ name: String, _ arguments: [String], in host: LabHost, logFile: URL? = nil) throws -> LabProcess {
        let process = try LabProcess(name: name, command: inNamespace(host, arguments),
                                     logFile: logFile ?? file("\(name).log"))
        processes.withLock { $0.append(process) }
        return process
    }

    /// Starts `node`'s UDP echo server on the VIPs and waits until it listens.
    @discardableResult
    func startEcho(on node: LabHost) async throws -> LabProcess {
        let echo = try spawn("echo-\(node.name)", [Tools.python, file("echo.py").path, node.name,
                                                   "\(Layer2Lab.echoPort)", "\(Layer2Lab.vip4)", "\(Layer2Lab.vip6)"],
                             in: node)
        try await echo.waitForLog("the echo server's `ready`", within: .seconds(20)) { $0 == "ready" }
        return echo
    }

    // MARK: Addresses and links

    /// Puts the VIPs on `device` of `host` (`lo` in production; `eth0` to have the kernel answer for them).
    func addVIPs(to host: LabHost, device: String) async throws {
        let prefix = device == "lo" ? ("32", "128") : ("24", "64")
        try await Command.check(["ip", "-n", host.namespace, "addr", "add", "\(Layer2Lab.vip4)/\(prefix.0)",
                                 "dev", device])
        try await Command.check(["ip", "-n", host.namespace, "addr", "add", "\(Layer2Lab.vip6)/\(prefix.1)",
                                 "dev", device, "nodad"])
    }

    /// Takes the VIPs off `device` of `host`.
    func removeVIPs(from host: LabHost, device: String) async throws {
        let prefix = device == "lo" ? ("32", "128") : ("24", "64")
        try await Command.check(["ip", "-n", host.namespace, "addr", "del", "\(Layer2Lab.vip4)/\(prefix.0)",
                                 "dev", device])
        try await Command.check(["ip", "-n", host.namespace, "addr", "del", "\(Layer2Lab.vip6)/\(prefix.1)",
                                 "dev", device])
    }

    /// Sets `host`'s interface administratively up or down (`ip link set eth0 up|down` inside it).
    func setLink(_ host: LabHost, up: Bool) async throws {
        try await Command.check(["ip", "-n", host.namespace, "link", "set", host.interface, up ? "up" : "down"])
    }

    /// Cuts `host` off at the bridge (its port `disabled`) or lets it back (`forwarding`): the host keeps its link
    /// and carrier and sees nothing wrong, like a host behind a failed switch.
    func setPort(_ host: LabHost, forwarding: Bool) async throws {
        try await Command.check(["bridge", "-n", lan, "link", "set", "dev", host.port, "state",
                                 forwarding ? "3" : "0"])
    }

    // MARK: Failure reports and cleanup

    /// Returns `condition`, and marks the lab failed when it is false, so that `withLayer2Lab` prints the logs when
    /// the test ends although nothing was thrown: `#expect(lab.holds(a == b), "…")`.
    func holds(_ condition: Bool) -> Bool {
        if !condition { failed.withLock { $0 = true } }
        return condition
    }

    /// True once an expectation wrapped in `holds` failed.
    var hasFailed: Bool { failed.withLock { $0 } }

    /// Prints, on standard error, the end of every process's log and every status file: what the daemons said and
    /// believed before a test failed. With `LBDT_KEEP` set the whole directory stays.
    func reportFailure(_ error: any Error) {
        var report = "Layer 2 lab \(id) failed: \(error)\n"
        for process in processes.withLock({ $0 }) where !process.name.hasPrefix("prober") {
            report += "--- \(process) log \(process.logFile.path):\n\(process.logTail(40))\n"
        }
        for node in nodes {
            let status = file("\(node.name)/status.json")
            if let text = try? String(contentsOf: status, encoding: .utf8) {
                report += "--- \(node.name) status \(status.path):\n\(text)\n"
            }
        }
        report += LabTeardown.keepHint(directory)
        FileHandle.standardError.write(Data(report.utf8))
    }

    /// Kills every process the lab started, deletes the namespaces and (unless `LBDT_KEEP` is set) the directory.
    /// Never throws: it is the cleanup path.
    func destroy() async {
        await LabTeardown.destroy(processes: processes.withLock { $0 }, namespaces: [lan] + hosts.map(\.namespace), directory: directory)
    }

    /// The pid of the test process that created `namespace`, when it is a Layer 2 lab's (`lbdl-<pid>x<random>-…`).
    static func creator(ofNamespace namespace: String) -> pid_t? {
        guard let match = namespace.wholeMatch(of: /lbdl-([0-9]+)x[a-z0-9]+-[a-z0-9]+/) else { return nil }
        return pid_t(match.1)
    }

    /// Deletes the namespaces of labs whose creating process is gone (a crashed or killed test run); a lab of a
    /// running process, this one's included, is left alone. Returns the namespaces it deleted.
    @discardableResult
    static func sweepLeftovers() async -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        let orphans = names.filter { name in
            guard let pid = creator(ofNamespace: name) else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }.sorted()
        await LabNamespaces.delete(orphans)
        return orphans
    }
}

/// Runs `body` with a fresh Layer 2 lab and always destroys it afterwards (processes killed, namespaces deleted),
/// whether `body` returns, throws or is cancelled. One lab at a time in the test process (LabKit's `LabGate`).
func withLayer2Lab<T>(_ options: Layer2Lab.Options = Layer2Lab.Options(),
                      isolation: isolated (any Actor)? = #isolation,
                      _ body: (Layer2Lab) async throws -> T) async throws -> T {
    await LabGate.shared.acquire()
    let result: Result<T, any Error>
    do {
        let lab = try await Layer2Lab.create(options)
        do {
            result = .success(try await body(lab))
            if lab.hasFailed { lab.reportFailure(LabError("expectations failed (see the test's issues)")) }
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
