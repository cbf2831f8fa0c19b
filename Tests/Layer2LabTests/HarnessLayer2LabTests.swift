import Foundation
import LabKit
import LBKernel
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The lab itself, without lbd: parsers, the expected owner, and the whole measuring chain checked against the
/// kernel answering for the VIPs (put on a node's eth0), so that a failing lbd test is lbd's failure, not the lab's.
@Suite(.serialized)
struct HarnessLayer2LabTests {
    @Test("arping, ndisc6 and ip neigh output parse to MAC addresses")
    func parsers() throws {
        let arping = """
            ARPING 10.97.0.100 from 10.97.0.3 eth0
            Unicast reply from 10.97.0.100 [02:97:00:00:00:11]  0.543ms
            Unicast reply from 10.97.0.100 [02:97:00:00:00:1A]  0.549ms
            Sent 2 probes (2 broadcast(s))
            Received 2 response(s)
            """
        #expect(NeighborQueries.parseArping(arping) == ["02:97:00:00:00:11", "02:97:00:00:00:1a"])
        #expect(NeighborQueries.parseArping("ARPING 10.97.0.111 from 10.97.0.3 eth0\nSent 2 probes\n").isEmpty)
        let ndisc6 = """
            Soliciting fd00:97::100 (fd00:97::100) on eth0...
            Target link-layer address: 02:97:00:00:00:11
             from fd00:97::100
            Target link-layer address: 02:97:00:00:00:13
             from fd00:97::100
            """
        #expect(NeighborQueries.parseNdisc6(ndisc6) == ["02:97:00:00:00:11", "02:97:00:00:00:13"])
        let neighbors = try NeighborQueries.parseNeighbors("""
            [{"dst":"10.97.0.100","lladdr":"02:97:00:00:00:11","state":["REACHABLE"]},
             {"dst":"10.97.0.101","state":["FAILED"]}]
            """)
        #expect(neighbors == [NeighborEntry(dst: "10.97.0.100", lladdr: "02:97:00:00:00:11", state: ["REACHABLE"]),
                              NeighborEntry(dst: "10.97.0.101", lladdr: nil, state: ["FAILED"])])
        #expect(try NeighborQueries.parseNeighbors("\n").isEmpty)
    }

    /// Python: `sorted(nodes, key=lambda n: hashlib.sha256(f"{n}#{address}".encode()).digest())`.
    @Test("the expected owner is MetalLB's order of SHA-256(node#address)", arguments: [
        ("10.97.0.100", ["n3", "n1", "n2"]),  // digests 1780296c…, c8dc7aa8…, e94162c4…
        ("fd00:97::100", ["n1", "n3", "n2"]),  // 4c2fbd9e…, 676978b1…, 8aa9d27e…
    ])
    func expectedOwner(address: String, ranking: [String]) {
        #expect(ExpectedOwner.ranking(of: ["n1", "n2", "n3"], for: address) == ranking)
        #expect(ExpectedOwner.ranking(of: ["n2", "n3", "n1"], for: address) == ranking)
    }

    @Test("a lab namespace names its creator's pid; other names are never a lab's", arguments: [
        ("lbdl-1234xab12-lan", Int32(1234)), ("lbdl-99x0000-n3", 99), ("lbdl-1234-lan", nil), ("lbdh-1234xab-lan", nil),
        ("lbdl-1234xab12-lan-extra", nil), ("lbdt-ab12cd-rtr", nil),
    ] as [(String, Int32?)])
    func creator(namespace: String, pid: Int32?) {
        #expect(Layer2Lab.creator(ofNamespace: namespace) == pid)
    }

    @Test("the kernel answering for the VIPs on one node: arping, ndisc6, the client's cache, UDP, raw requests")
    func kernelAnswers() async throws {
        try await withLayer2Lab { lab in
            let n2 = lab.node("n2")
            try await lab.removeVIPs(from: n2, device: "lo")
            try await lab.addVIPs(to: n2, device: "eth0")
            for node in lab.nodes { try await lab.startEcho(on: node) }

            // Nobody else answers: arp_ignore=1 keeps the other nodes' kernels quiet about the VIP on their lo, and
            // a kernel never answers NDP for an address on lo.
            let arp = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(arp == [n2.mac, n2.mac, n2.mac]), "arping heard \(arp)")
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
            #expect(lab.holds(ndp == [n2.mac]), "ndisc6 heard \(ndp)")

            let prober = try await Prober.start(lab, from: lab.client, count: 50)
            let timeline = try await prober.finish()
            for family in [4, 6] {
                #expect(lab.holds(timeline.sent(family).count == 50), "\(timeline.summary)")
                #expect(lab.holds(timeline.replies(family).count == 50 && timeline.nodes(family) == ["n2"]),
                        "\(timeline.summary)")
            }
            for address in [IPAddress.v4(Layer2Lab.vip4), .v6(Layer2Lab.vip6)] {
                let entry = try await NeighborQueries.neighbor(lab, in: lab.client, address)
                #expect(lab.holds(entry?.lladdr == n2.mac),
                        "the client's entry for \(address): \(entry.map { "\($0)" } ?? "none")")
            }

            // The raw control requests are each answered once, by the kernel of n2: the script sees answers.
            let control = try await FrameBarrage.send(.control, in: lab, owner: n2)
            #expect(lab.holds(control.quiet_ms >= 0))
            #expect(lab.holds(control.cases.count == 8))
            for (name, replies) in control.cases.sorted(by: { $0.key < $1.key }) {
                #expect(lab.holds(replies.count == 1 && replies.allSatisfy { $0.node == n2.mac }),
                        "\(name): \(replies)")
            }
        }
    }

    @Test("the prober measures a takeover: the VIPs moved by hand between kernels with one gratuitous ARP and NA")
    func proberMeasuresTakeover() async throws {
        try await withLayer2Lab { lab in
            let (n2, n3) = (lab.node("n2"), lab.node("n3"))
            for node in [n2, n3] { try await lab.removeVIPs(from: node, device: "lo") }
            try await lab.addVIPs(to: n2, device: "eth0")
            for node in [n2, n3] { try await lab.startEcho(on: node) }
            let prober = try await Prober.start(lab, from: lab.client)
            try await prober.wait(for: "steady replies from n2", within: .seconds(10)) {
                $0.steady(on: "n2", count: 20)
            }

            let injected = monotonicNanoseconds()
            try await lab.removeVIPs(from: n2, device: "eth0")
            try await lab.addVIPs(to: n3, device: "eth0")
            // At once (arping -c 1 then waits a second for replies that never come to a gratuitous request).
            async let garp = lab.run(["arping", "-U", "-c", "1", "-I", "eth0", "\(Layer2Lab.vip4)"], in: n3)
            async let na = lab.run([Tools.python, lab.file("frames.py").path, "eth0", "\(Layer2Lab.vip4)",
                                    "\(Layer2Lab.vip6)", n3.mac, n3.mac, "announce", "1"], in: n3)
            _ = try await (garp, na)
            let timeline = try await prober.wait(for: "replies from n3 in both families", within: .seconds(10)) {
                timeline in [4, 6].allSatisfy { timeline.firstReply($0, from: "n3", after: injected) != nil }
            }
            _ = await prober.stop()
            for family in [4, 6] {
                let figures = try #require(FailoverFigures(timeline, family: family, old: "n2", new: "n3",
                                                           injected: injected))
                print("kernel handover by hand, \(figures)")
                // Only the commands' own time: the client moves on the first gratuitous packet.
                #expect(lab.holds(figures.takeover < 2_000_000_000), "\(figures)")
            }
        }
    }

    /// Leftovers of a dead run are swept, those of a live one kept.
    @Test("withLayer2Lab deletes its namespaces and kills its processes even when the test throws; leftovers swept")
    func cleanup() async throws {
        struct Deliberate: Error {}
        let seen = Mutex<(namespaces: [String], pid: Int32?)>(([], nil))
        await #expect(throws: Deliberate.self) {
            try await withLayer2Lab { lab in
                let sleeper = try lab.spawn("sleeper", ["sleep", "600"], in: lab.client)
                seen.withLock { $0 = ([lab.lan] + lab.hosts.map(\.namespace), sleeper.pid) }
                throw Deliberate()
            }
        }
        let (namespaces, pid) = seen.withLock { $0 }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        #expect(namespaces.count == 6 && Set(namespaces).isDisjoint(with: left), "left: \(left)")
        #expect(pid.map { kill($0, 0) != 0 } == true, "the lab's process \(pid.map { "\($0)" } ?? "?") survived")

        // A pid that is surely dead: a child already reaped.
        let dead = try ChildProcess(["true"], stdin: 0, stdout: 1, stderr: 2)
        try await dead.waitForExit(within: .seconds(10))
        let orphan = "lbdl-\(dead.pid)xzzzz-lan", live = "lbdl-\(getpid())xzzzz-lan"
        try await Command.check(["ip", "netns", "add", orphan])
        try await Command.check(["ip", "netns", "add", live])
        let orphanSleeper = try LabProcess(name: "orphan-sleeper", command: ["ip", "netns", "exec", orphan,
                                                                             "sleep", "600"],
                                           logFile: URL(fileURLWithPath: "/dev/null"))
        try await poll("the sleeper inside \(orphan)", within: .seconds(10), every: .milliseconds(10)) { () -> Bool? in
            let pids = try await Command.check(["ip", "netns", "pids", orphan]).stdout
            return pids.split(separator: "\n").contains("\(orphanSleeper.pid)") ? true : nil
        }
        let swept = await Layer2Lab.sweepLeftovers()
        await LabNamespaces.delete([live])
        #expect(swept.contains(orphan) && !swept.contains(live), "swept \(swept)")
        #expect(try await orphanSleeper.waitForExit(within: .seconds(10)) == 128 + SIGKILL)
        let after = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        #expect(!after.contains(orphan) && !after.contains(live))
    }
}
