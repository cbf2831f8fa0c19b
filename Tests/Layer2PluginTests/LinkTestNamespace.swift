import Foundation
import Glibc
import LabKit
import LBKernel
import Synchronization

/// Two network namespaces joined by a veth pair, created for one link test and deleted after it.
///
/// Names: namespaces `lbdh-lk-<pid>-<n>a` / `…b`, interfaces `lk<n>a` (in A) and `lk<n>b` (in B), addresses
/// 10.97.<n>.1/24 and fd00:97:0:<n in hex>::1/64 in A, `.2` / `::2` in B, DAD off so addresses are usable at once. Code
/// that must run inside a namespace runs on a dedicated thread that entered it with `setns(CLONE_NEWNET)`; the test
/// process's other threads never change namespace. Sockets (and libpcap handles) opened there stay in that
/// namespace whatever thread uses them later.
struct LinkTestNamespace: Sendable {
    /// The namespace with the interface under test.
    let a: String
    /// The peer namespace.
    let b: String
    /// The veth end in A.
    let interfaceA: String
    /// The veth end in B.
    let interfaceB: String
    /// The pair's number, unique in this process (the third octet of its IPv4 subnet).
    let number: Int

    private static let counter = Atomic<Int>(0)

    /// A's IPv4 address.
    var ipv4A: IPv4Address { IPv4Address(10, 97, UInt8(number), 1) }
    /// B's IPv4 address.
    var ipv4B: IPv4Address { IPv4Address(10, 97, UInt8(number), 2) }
    /// A's global IPv6 address.
    var ipv6A: IPv6Address { IPv6Address(0xfd00_0097_0000_0000 << 64 | UInt128(number) << 64 | 1) }
    /// B's global IPv6 address.
    var ipv6B: IPv6Address { IPv6Address(0xfd00_0097_0000_0000 << 64 | UInt128(number) << 64 | 2) }

    /// Whether namespace tests can run here: root with `ip` installed.
    static var available: Bool { getuid() == 0 && Command.path(of: "ip") != nil }

    /// Creates a pair, runs `body` with it and deletes the pair, also when `body` throws.
    static func with<T>(_ body: (LinkTestNamespace) async throws -> T) async throws -> T {
        let pair = try await create()
        do {
            let result = try await body(pair)
            await pair.delete()
            return result
        } catch {
            await pair.delete()
            throw error
        }
    }

    /// Creates the namespaces, the veth pair and the addresses (deleting what was made if a step fails).
    static func create() async throws -> LinkTestNamespace {
        await removeStale()
        let number = counter.add(1, ordering: .relaxed).newValue
        precondition(number < 255, "too many link test namespaces in one process")
        let pid = getpid()
        let pair = LinkTestNamespace(a: "lbdh-lk-\(pid)-\(number)a", b: "lbdh-lk-\(pid)-\(number)b",
                                     interfaceA: "lk\(number)a", interfaceB: "lk\(number)b", number: number)
        do {
            try await Command.check(["ip", "netns", "add", pair.a])
            try await Command.check(["ip", "netns", "add", pair.b])
            try await Command.check(["ip", "link", "add", pair.interfaceA, "netns", pair.a, "type", "veth",
                                     "peer", "name", pair.interfaceB, "netns", pair.b])
            for (namespace, interface, host) in [(pair.a, pair.interfaceA, 1), (pair.b, pair.interfaceB, 2)] {
                try await Command.check(["ip", "netns", "exec", namespace, "sysctl", "-qw",
                                           "net.ipv6.conf.\(interface).accept_dad=0"])
                try await Command.check(["ip", "-n", namespace, "addr", "add", "10.97.\(number).\(host)/24",
                                           "dev", interface])
                try await Command.check(["ip", "-n", namespace, "addr", "add", "fd00:97:0:\(String(number, radix: 16))::\(host)/64",
                                           "dev", interface, "nodad"])
                try await Command.check(["ip", "-n", namespace, "link", "set", interface, "up"])
            }
        } catch {
            await pair.delete()
            throw error
        }
        return pair
    }

    /// Deletes both namespaces (their interfaces go with them); errors are ignored.
    func delete() async {
        await LabNamespaces.delete([a, b])
    }

    /// Deletes namespaces an earlier, crashed test process of this suite left behind.
    private static func removeStale() async {
        guard let list = try? await Command.run(["ip", "netns", "list"]).stdout else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard name.hasPrefix("lbdh-lk-"), parts.count == 4, let pid = Int32(parts[2]), pid != getpid(),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            await LabNamespaces.delete([name])
        }
    }

    /// Runs `body` in namespace A on a dedicated thread and returns its result.
    func inA<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.run(in: a, body)
    }

    /// Runs `body` in namespace B on a dedicated thread and returns its result.
    func inB<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.run(in: b, body)
    }

    /// `ip -n <namespace> <arguments>`, which must succeed; its output.
    @discardableResult
    func ip(_ namespace: String, _ arguments: String...) async throws -> String {
        try await Command.check(["ip", "-n", namespace] + arguments).stdout
    }

    /// Runs `body` on a new thread that first enters the network namespace `name`; the thread ends after it.
    static func run<T: Sendable>(in name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    try enter(name)
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// Moves the calling thread (only it) into the network namespace `name`.
    private static func enter(_ name: String) throws {
        let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LabError("open /var/run/netns/\(name): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard let setns, setns(fd, cloneNewNet) == 0 else {
            throw LabError("setns(\(name)): \(String(cString: strerror(errno)))")
        }
    }

    /// CLONE_NEWNET (linux/sched.h), which Swift's Glibc module does not export either.
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// glibc's `setns(2)`, which Swift's Glibc module does not declare (it needs `_GNU_SOURCE`).
    private typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
    private static let setns: SetNamespace? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return nil }
        return unsafeBitCast(symbol, to: SetNamespace.self)
    }()
}
