import Foundation
import LBKernel
import Testing
@testable import Layer2Plugin

#if canImport(Glibc)
import Glibc
#endif

/// Multicast heartbeats between two network namespaces joined by a veth pair (root, as CI runs): the real
/// multicast path (group joined by interface index, sent per interface with TTL 1 and loop off), with each
/// membership's sockets made inside its namespace by a thread that entered it.
@Suite("Membership over multicast", .serialized)
struct MembershipMulticastTests {
    @Test func twoNamespacesSeeEachOtherOverMulticast() async throws {
        let pair = try MulticastPair.create()
        defer { pair.destroy() }
        let key = try HeartbeatKey("multicast test key, 32 octets..")
        // The default port and group: the namespaces keep them apart from the host.
        let configuration = Membership.Configuration(interval: GoDuration(nanoseconds: 50_000_000), deadAfter: 4,
                                                     keyFile: "unused")
        let a = try Membership(configuration: configuration, node: "a", keys: [key], logger: membershipTestLogger("a"),
                               incarnation: nil, peerPort: nil, network: .namespace(pair.namespaceA))
        let b = try Membership(configuration: configuration, node: "b", keys: [key], logger: membershipTestLogger("b"),
                               incarnation: nil, peerPort: nil, network: .namespace(pair.namespaceB))
        a.setInterfaces([pair.interfaceA])
        b.setInterfaces([pair.interfaceB])
        let recordA = MembershipRecorder()
        let recordB = MembershipRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recordA.record(a) }
            group.addTask { await recordB.record(b) }
            group.addTask { try await a.run() }
            group.addTask { try await b.run() }

            #expect(await recordA.wait(for: .joined("b"), within: .seconds(30)) != nil)
            #expect(await recordB.wait(for: .joined("a"), within: .seconds(30)) != nil)
            // The kernel joined the group on the veth (and sends the IGMP reports).
            #expect(try pair.groups(in: pair.namespaceA, on: pair.interfaceA).contains("239.255.76.68"))
            #expect(try pair.groups(in: pair.namespaceB, on: pair.interfaceB).contains("239.255.76.68"))

            // b stops using its interface: it leaves the group and stops sending, so each sees the other die.
            let dropped = ContinuousClock.now
            b.setInterfaces([])
            #expect(await recordA.wait(for: .died("b"), after: dropped, within: .seconds(30)) != nil)
            #expect(await recordB.wait(for: .died("a"), after: dropped, within: .seconds(30)) != nil)
            let left = await poll(within: .seconds(30)) {
                (try? pair.groups(in: pair.namespaceB, on: pair.interfaceB).contains("239.255.76.68")) == false
                    ? true : nil
            }
            #expect(left == true, "b left the group")

            // And back: joined again, both ways.
            let restored = ContinuousClock.now
            b.setInterfaces([pair.interfaceB])
            #expect(await recordA.wait(for: .joined("b"), after: restored, within: .seconds(30)) != nil)
            #expect(await recordB.wait(for: .joined("a"), after: restored, within: .seconds(30)) != nil)

            // a leaves: b sees `left` at once (a death would take 4.5 intervals: 225 ms).
            let leaving = ContinuousClock.now
            await a.leave()
            let seen = await recordB.wait(for: .left("a"), after: leaving, within: .seconds(30))
            #expect(seen != nil)
            #expect(!recordB.events.contains { $0.event == .died("a") && $0.at >= leaving })

            // Loop off: neither node ever received its own multicast beats.
            #expect(a.counters.rejected[.fromSelf] == nil, "\(a.counters)")
            #expect(b.counters.rejected[.fromSelf] == nil, "\(b.counters)")
            #expect(a.counters.sendErrors == 0, "\(a.counters)")
            group.cancelAll()
            for try await _ in group {}
        }
    }
}

extension MembershipNetwork {
    /// Makes sockets and looks up interfaces inside network namespace `name`: each piece of work runs on a new
    /// thread that entered it (`setns` applies to the calling thread only).
    static func namespace(_ name: String) -> MembershipNetwork {
        MembershipNetwork { work in
            typealias SetNS = @convention(c) (CInt, CInt) -> CInt
            // Glibc's Swift overlay does not declare setns (it is _GNU_SOURCE only): look it up.
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return }
            let setns = unsafeBitCast(symbol, to: SetNS.self)
            nonisolated(unsafe) let work = work
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                defer { done.signal() }
                let fd = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { return }
                defer { close(fd) }
                guard setns(fd, 0x4000_0000) == 0 else { return }  // CLONE_NEWNET
                work()
            }
            thread.start()
            done.wait()
        }
    }
}

/// Two namespaces `lbdh-mb-<pid>-a` and `-b` joined by a veth pair with 10.96.x.1/24 and .2/24; `destroy()`
/// deletes both (and so the veth).
private struct MulticastPair {
    let namespaceA: String
    let namespaceB: String
    let interfaceA: String
    let interfaceB: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func create() throws -> MulticastPair {
        guard geteuid() == 0 else {
            throw Failure(description: "the multicast membership test needs root (network namespaces), as CI has")
        }
        let pid = getpid()
        let pair = MulticastPair(namespaceA: "lbdh-mb-\(pid)-a", namespaceB: "lbdh-mb-\(pid)-b",
                                 interfaceA: "lbdhmb\(pid % 1_000_000)a", interfaceB: "lbdhmb\(pid % 1_000_000)b")
        let subnet = pid % 250 + 1
        do {
            try run(["ip", "netns", "add", pair.namespaceA])
            try run(["ip", "netns", "add", pair.namespaceB])
            try run(["ip", "link", "add", pair.interfaceA, "netns", pair.namespaceA, "type", "veth",
                     "peer", "name", pair.interfaceB, "netns", pair.namespaceB])
            for (namespace, interface, host) in [(pair.namespaceA, pair.interfaceA, 1),
                                                 (pair.namespaceB, pair.interfaceB, 2)] {
                try run(["ip", "-n", namespace, "addr", "add", "10.96.\(subnet).\(host)/24", "dev", interface])
                try run(["ip", "-n", namespace, "link", "set", interface, "up"])
                try run(["ip", "-n", namespace, "link", "set", "lo", "up"])
            }
            return pair
        } catch {
            pair.destroy()
            throw error
        }
    }

    func destroy() {
        for namespace in [namespaceA, namespaceB] {
            _ = try? Self.run(["ip", "netns", "delete", namespace])
        }
    }

    /// The IPv4 groups joined on `interface` in `namespace` (from `ip maddr`).
    func groups(in namespace: String, on interface: String) throws -> [String] {
        let output = try Self.run(["ip", "-n", namespace, "-4", "maddr", "show", "dev", interface])
        return output.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let index = words.firstIndex(of: "inet"), index + 1 < words.count else { return nil }
            return String(words[index + 1])
        }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}
