// BGPPlugin's imports need its dependencies' module maps (NIO's _AtomicsShims among them), which SwiftPM passes
// only to a target that depends on BGPPlugin: without that dependency this file compiles to nothing.
#if canImport(BGPPlugin) && canImport(_AtomicsShims)
import Foundation
import LabKit
import LBKernel
import Synchronization
@testable import BGPPlugin
#if canImport(Glibc)
import Glibc
#endif

// A self-contained lab for the BFD acceptance tests: two network namespaces joined by a veth pair, FRR's bfdd in
// one, lbd's BFDSession (in this process, its sockets opened inside the other namespace) facing it.

/// A lab step that failed, in words.
struct BFDLabError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Two namespaces, `lbdt-bfd-<id>-frr` (FRR, .1) and `lbdt-bfd-<id>-lbd` (lbd, .2), joined by a veth pair with
/// 10.213.<n>.0/24 and fd00:bfd:<n>::/64, plus a temporary directory. Use it through ``withBFDLab(_:)``.
final class BFDLab: Sendable {
    let id: String
    let frrNamespace: String
    let lbdNamespace: String
    let frrInterface: String
    let lbdInterface: String
    let subnet: UInt8
    let directory: URL
    private let processes = Mutex<[BFDChildProcess]>([])

    static let bfdd = "/usr/lib/frr/bfdd"

    init() {
        let id = String(UInt32.random(in: 0...0xFFFFFF), radix: 16)
        self.id = id
        frrNamespace = "lbdt-bfd-\(id)-frr"
        lbdNamespace = "lbdt-bfd-\(id)-lbd"
        frrInterface = "bfd\(id)f"
        lbdInterface = "bfd\(id)l"
        subnet = UInt8.random(in: 1...254)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lbdt-bfd-\(id)")
    }

    /// FRR's address of `family`.
    func frrAddress(_ family: IPFamily) -> IPAddress {
        IPAddress(family == .ipv4 ? "10.213.\(subnet).1" : "fd00:bfd:\(subnet)::1")!
    }

    /// lbd's address of `family`.
    func lbdAddress(_ family: IPFamily) -> IPAddress {
        IPAddress(family == .ipv4 ? "10.213.\(subnet).2" : "fd00:bfd:\(subnet)::2")!
    }

    /// Creates the namespaces, the veth pair and the addresses (IPv6 without DAD, so usable at once).
    func create() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // FRR drops privileges to its own user for some files: the directory must be reachable.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        try run("ip", "netns", "add", frrNamespace)
        try run("ip", "netns", "add", lbdNamespace)
        try run("ip", "link", "add", frrInterface, "netns", frrNamespace, "type", "veth",
                "peer", "name", lbdInterface, "netns", lbdNamespace)
        for (namespace, interface, host) in [(frrNamespace, frrInterface, 1), (lbdNamespace, lbdInterface, 2)] {
            try run("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.\(interface).accept_dad=0")
            try run("ip", "-n", namespace, "addr", "add", "10.213.\(subnet).\(host)/24", "dev", interface)
            try run("ip", "-n", namespace, "addr", "add", "fd00:bfd:\(subnet)::\(host)/64", "dev", interface,
                    "nodad")
            try run("ip", "-n", namespace, "link", "set", "lo", "up")
            try run("ip", "-n", namespace, "link", "set", interface, "up")
        }
    }

    /// Kills every process the lab started (by pid), removes the namespaces and, unless `LBDT_KEEP` is set, the
    /// directory.
    func destroy() {
        for process in processes.withLock({ $0 }) { process.stop(signal: SIGKILL) }
        _ = try? run("ip", "netns", "del", frrNamespace)
        _ = try? run("ip", "netns", "del", lbdNamespace)
        LabTeardown.removeUnlessKept(directory)
        if LabTeardown.keepsDirectories { print("BFD lab kept: \(directory.path)") }
    }

    // MARK: FRR's bfdd

    /// Starts bfdd in FRR's namespace with one single-hop peer (lbd's address of `family`), 300 ms intervals and
    /// Detect Mult 3, its sockets in the lab directory; returns once its vty socket is there.
    func startBFDD(family: IPFamily) throws -> BFDChildProcess {
        guard FileManager.default.isExecutableFile(atPath: Self.bfdd) else {
            throw BFDLabError("\(Self.bfdd) not found: install frr (apt-get install frr; `make test` installs it)")
        }
        let config = directory.appendingPathComponent("bfdd.conf")
        try """
        bfd
         peer \(lbdAddress(family)) local-address \(frrAddress(family))
          receive-interval 300
          transmit-interval 300
          detect-multiplier 3
         !
        !

        """.write(to: config, atomically: true, encoding: .utf8)
        // -u root -g frrvty: FRR refuses root unless the group is its vty group (bgp-baseline.md, pitfall 3).
        let process = try startDaemon(
            name: "bfdd", namespace: frrNamespace,
            [Self.bfdd, "-f", config.path, "-i", path("bfdd.pid"), "--vty_socket", directory.path,
             "-z", path("zserv.api"), "--bfdctl", path("bfdd.sock"), "-u", "root", "-g", "frrvty",
             "--log", "file:\(path("bfdd.log"))", "--log-level", "debug"])
        try bfdWait(within: .seconds(10), "bfdd's vty socket (see \(path("bfdd.log")))") {
            if let status = process.exitStatus {
                throw BFDLabError("bfdd exited (wait status \(status)); log: \(self.log("bfdd"))")
            }
            return FileManager.default.fileExists(atPath: self.path("bfdd.vty"))
        }
        return process
    }

    /// bfdd's view of the peer at `address` (`show bfd peers json`), or nil when it has none.
    func frrPeer(_ address: IPAddress) throws -> [String: Any]? {
        let output = try run("vtysh", "--vty_socket", directory.path, "-d", "bfdd", "-c", "show bfd peers json")
        guard let peers = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
            throw BFDLabError("unexpected `show bfd peers json` output: \(output)")
        }
        return peers.first { ($0["peer"] as? String).flatMap(IPAddress.init) == address }
    }

    /// Waits until bfdd's peer at `address` has `status` (up, down, init).
    func waitForFRRPeer(_ address: IPAddress, status: String, within limit: Duration) throws -> [String: Any] {
        var last: [String: Any]?
        do {
            return try bfdWaitFor(within: limit, "bfdd's peer \(address) to be \(status)") {
                last = try self.frrPeer(address)
                return last?["status"] as? String == status ? last : nil
            }
        } catch {
            throw BFDLabError("\(error); bfdd last showed \(last.map { "\($0)" } ?? "no such peer")")
        }
    }

    // MARK: lbd's side

    /// A BFD session in lbd's namespace towards FRR.
    func lbdSession(family: IPFamily, parameters: BFDParameters = BFDParameters()) -> BFDSession {
        let namespace = lbdNamespace
        return BFDSession(
            configuration: BFDSession.Configuration(peer: frrAddress(family), localAddress: lbdAddress(family),
                                                    interface: lbdInterface, parameters: parameters),
            openSockets: { endpoint in try bfdInNamespace(namespace) { try BFDSockets.open(endpoint) } })
    }

    // MARK: Link and captures

    /// Makes the link drop everything both ways while it stays up (a `pfifo limit 0` root qdisc on both ends), as
    /// when something further away dies: only BFD's timers can notice.
    func dropAllTraffic() throws {
        try run("ip", "netns", "exec", frrNamespace, "tc", "qdisc", "replace", "dev", frrInterface, "root", "pfifo",
                "limit", "0")
        try run("ip", "netns", "exec", lbdNamespace, "tc", "qdisc", "replace", "dev", lbdInterface, "root", "pfifo",
                "limit", "0")
    }

    /// `ip link set down` on FRR's end (lbd's end then has no carrier).
    func setFRRLinkDown() throws {
        try run("ip", "-n", frrNamespace, "link", "set", frrInterface, "down")
    }

    /// Starts tcpdump on FRR's interface, writing BFD Control packets to `name`.pcap.
    func startCapture(_ name: String) throws -> (BFDChildProcess, URL) {
        let file = directory.appendingPathComponent("\(name).pcap")
        let process = try startDaemon(name: "tcpdump-\(name)", namespace: frrNamespace,
                                      ["tcpdump", "-i", frrInterface, "-U", "-w", file.path, "udp port 3784"])
        // tcpdump says "listening on" on stderr once capturing.
        try bfdWait(within: .seconds(10), "tcpdump to listen") { self.log("tcpdump-\(name)").contains("listening on") }
        return (process, file)
    }

    /// Stops a capture (SIGTERM: tcpdump finishes the file).
    func stopCapture(_ process: BFDChildProcess) {
        process.stop(signal: SIGTERM)
    }

    // MARK: Processes

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The daemon's output so far.
    func log(_ name: String) -> String {
        let files = ["\(name).out", "\(name).log"].map { path($0) }
        return files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// Starts `arguments` in `namespace` with `ip netns exec` (which execs it, so the pid is the program's own);
    /// output goes to `name`.out in the lab directory.
    func startDaemon(name: String, namespace: String, _ arguments: [String]) throws -> BFDChildProcess {
        let process = try BFDChildProcess(["ip", "netns", "exec", namespace] + arguments,
                                          output: path("\(name).out"), error: path("\(name).out"))
        processes.withLock { $0.append(process) }
        return process
    }

    /// Runs a short command and returns its output; fails with the output on a nonzero status or after 20 s.
    @discardableResult
    func run(_ arguments: String...) throws -> String {
        try bfdRun(arguments)
    }
}

/// Runs a command to completion (at most 20 s), returning its standard output; throws with its standard error
/// otherwise.
@discardableResult
func bfdRun(_ arguments: [String]) throws -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("lbdt-bfd-run-\(UUID().uuidString)")
    let (outputFile, errorFile) = (base.path + ".out", base.path + ".err")
    defer { for file in [outputFile, errorFile] { try? FileManager.default.removeItem(atPath: file) } }
    let process = try BFDChildProcess(arguments, output: outputFile, error: errorFile)
    guard let status = process.wait(within: .seconds(20)) else {
        process.stop(signal: SIGKILL)
        throw BFDLabError("`\(arguments.joined(separator: " "))` did not finish within 20 s")
    }
    let text = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
    guard status == 0 else {
        let errors = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        throw BFDLabError("`\(arguments.joined(separator: " "))` failed (wait status \(status)): \(errors)\(text)")
    }
    return text
}

/// A child process started with `posix_spawnp`, with every signal unblocked and at its default action.
///
/// Not Foundation's `Process`: on Linux it starts children with the spawning thread's signal mask (a Swift
/// concurrency thread blocks SIGINT and SIGTERM, and a blocked mask survives exec, so tcpdump and bfdd would ignore
/// them), and its `waitUntilExit` spins a run loop at full CPU.
final class BFDChildProcess: Sendable {
    /// The program's pid.
    let pid: pid_t
    private let status = Mutex<CInt?>(nil)

    /// Starts `arguments` (looked up in `PATH`), standard output and error appended to the given files.
    init(_ arguments: [String], output: String, error: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, error, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw BFDLabError("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// The wait status once the process has exited (and been reaped here), nil while it runs.
    var exitStatus: CInt? {
        status.withLock { status in
            if status == nil {
                var raw: CInt = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            }
            return status
        }
    }

    /// Waits up to `limit` for the process to exit; its wait status, or nil if it still runs.
    func wait(within limit: Duration) -> CInt? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let status = exitStatus { return status }
            guard ContinuousClock.now < deadline else { return nil }
            usleep(5_000)
        }
    }

    /// Sends `signal` and waits (5 s) for the exit; SIGKILL after that.
    func stop(signal: CInt) {
        guard exitStatus == nil else { return }
        kill(pid, signal)
        if wait(within: .seconds(5)) == nil, signal != SIGKILL {
            kill(pid, SIGKILL)
            _ = wait(within: .seconds(5))
        }
    }

    /// Sends `signal` without waiting.
    func send(_ signal: CInt) {
        kill(pid, signal)
    }
}

/// Creates a lab, runs `body`, and always destroys the lab. Fails (never skips) without root or the tools.
func withBFDLab<T>(_ body: (BFDLab) async throws -> T) async throws -> T {
    guard getuid() == 0 else {
        throw BFDLabError("the BFD acceptance tests need root (network namespaces); CI runs them as root")
    }
    for (tool, package) in [("ip", "iproute2"), ("tc", "iproute2"), ("vtysh", "frr"), ("tcpdump", "tcpdump"),
                            ("tshark", "tshark")] {
        do {
            try bfdRun(["sh", "-c", "command -v \(tool)"])
        } catch {
            throw BFDLabError("\(tool) not found: install \(package) (apt-get install \(package))")
        }
    }
    let lab = BFDLab()
    defer { lab.destroy() }
    try lab.create()
    return try await body(lab)
}

/// Runs `body` on a new thread that has entered network namespace `name` (`setns` applies to the calling thread
/// only, so no other thread of the process changes namespace). Sockets made there stay in that namespace.
func bfdInNamespace<T>(_ name: String, _ body: @escaping () throws -> T) throws -> T {
    typealias SetNS = @convention(c) (CInt, CInt) -> CInt
    // Glibc's Swift overlay does not declare setns (it is _GNU_SOURCE only): look it up.
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
        throw BFDLabError("setns not found in libc")
    }
    let setns = unsafeBitCast(symbol, to: SetNS.self)
    let outcome = BFDThreadOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) let body = body
    let thread = Thread {
        defer { done.signal() }
        let fd = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            outcome.result = .failure(BFDLabError("cannot open /run/netns/\(name): errno \(errno)"))
            return
        }
        defer { close(fd) }
        guard setns(fd, 0x4000_0000) == 0 else {  // CLONE_NEWNET
            outcome.result = .failure(BFDLabError("setns into \(name) failed: errno \(errno)"))
            return
        }
        outcome.result = Result { try body() }
    }
    thread.start()
    done.wait()
    return try outcome.result!.get()
}

/// A thread's outcome, written by the thread before it signals and read after the wait.
final class BFDThreadOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// Polls `condition` every 50 ms until it is true, failing after `limit` with `what`.
func bfdWait(within limit: Duration, _ what: String, _ condition: () throws -> Bool) throws {
    _ = try bfdWaitFor(within: limit, what) { try condition() ? true : nil }
}

/// Polls `value` every 50 ms until it is non-nil, failing after `limit` with `what`.
func bfdWaitFor<T>(within limit: Duration, _ what: String, _ value: () throws -> T?) throws -> T {
    let deadline = ContinuousClock.now + limit
    while true {
        if let result = try value() { return result }
        guard ContinuousClock.now < deadline else { throw BFDLabError("timed out after \(limit) waiting for \(what)") }
        usleep(50_000)
    }
}

/// Runs `operation`, failing when it takes longer than `limit`.
func bfdWithTimeout<T: Sendable>(_ limit: Duration, _ what: String,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let value = result else {
            throw BFDLabError("timed out after \(limit) waiting for \(what)")
        }
        return value
    }
}

/// Waits for the first state change of `session` matching `predicate`.
func bfdAwaitChange(_ session: BFDSession, within limit: Duration, _ what: String,
                    where predicate: @escaping @Sendable (BFDStateChange) -> Bool) async throws -> BFDStateChange {
    try await bfdWithTimeout(limit, what) {
        for await change in session.stateChanges where predicate(change) { return change }
        throw BFDLabError("the BFD session ended while waiting for \(what)")
    }
}
#endif
