import Foundation
import LabKit
import LBKernel
import Testing

/// A bridge with MLD snooping and a querier forwards a Neighbor Solicitation for the VIP only to the ports that
/// joined the VIP's solicited-node group (l2-baseline.md pitfalls: without the join 0 of 10 NS reached the
/// responder). lbd's owner must join it, and the node taking over must have joined too.
@Suite(.serialized)
struct SnoopingLayer2LabTests {
    /// ff02::1:ff00:100, the solicited-node group of fd00:97::100 (RFC 4291 §2.7.1).
    static let group = "ff02::1:ff00:100"

    private struct MDB: Decodable {
        struct Entry: Decodable {
            var port: String
            var grp: String
        }
        struct Table: Decodable { var mdb: [Entry]? }
        var mdb: [Table]?
    }

    /// The bridge ports that joined the VIP's solicited-node group.
    static func ports(in lab: Layer2Lab) async throws -> Set<String> {
        let result = try await Command.check(["bridge", "-n", lab.lan, "-j", "mdb", "show"])
        let tables = try JSONDecoder().decode([MDB.Table].self, from: Data(result.stdout.utf8))
        return Set(tables.flatMap { $0.mdb ?? [] }.filter { $0.grp == group }.map(\.port))
    }

    private struct Sniffed: Decodable {
        var ns: Int
    }

    /// ndisc6 from the observer while the client listens: who answered, and how many solicitations for the VIP
    /// reached the client's port (none while the bridge snoops: the client never joined the group).
    static func solicit(in lab: Layer2Lab, round: Int) async throws -> (answers: [String], atClient: Int) {
        let sniffer = try lab.spawn("sniffer-\(round)", [Tools.python, lab.file("frames.py").path, "eth0",
                                                         "\(Layer2Lab.vip4)", "\(Layer2Lab.vip6)", lab.client.mac,
                                                         lab.client.mac, "sniff", "3"], in: lab.client)
        try await sniffer.waitForLog("the sniffer's start", within: .seconds(10)) { $0 == "ready" }
        let answers = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
        try await sniffer.waitForExit(within: .seconds(15))
        let last = sniffer.log.split(separator: "\n").last.map(String.init) ?? ""
        guard let sniffed = try? JSONDecoder().decode(Sniffed.self, from: Data(last.utf8)) else {
            throw LabError("the sniffer printed no count: \(sniffer.log)")
        }
        return (answers, sniffed.ns)
    }

    @Test("with MLD snooping the owner, then its successor, joined the solicited-node group; only it gets the NS")
    func solicitedNodeJoin() async throws {
        try await withLayer2Lab(Layer2Lab.Options(snooping: true)) { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let (owner, successor) = (cluster.owner, cluster.successor)
            let joined = try await poll("\(owner.port) in the bridge's group \(SnoopingLayer2LabTests.group)",
                                        within: .seconds(15), every: .milliseconds(100),
                                        observe: { try await SnoopingLayer2LabTests.ports(in: lab) },
                                        until: { $0.contains(owner.port) })
            print("ports in \(SnoopingLayer2LabTests.group) while \(owner.name) owns: \(joined.sorted())")
            #expect(lab.holds(!joined.contains(lab.client.port) && !joined.contains(lab.observer.port)))

            // The bridge filters (once its querier counts: a second after it started, it floods): a solicitation
            // for the VIP reaches the owner, which answers, and not the client.
            var round = 0
            let before = try await poll("a solicitation that reaches only the group's ports", within: .seconds(30),
                                        every: .milliseconds(100), observe: { () async throws -> ([String], Int) in
                round += 1
                return try await SnoopingLayer2LabTests.solicit(in: lab, round: round)
            }, until: { $0.1 == 0 }, describe: { "answers \(cluster.describe($0.0)), \($0.1) at the client" })
            print("a solicitation reached only the group's ports in round \(round)")
            #expect(lab.holds(Layer2Cluster.only(owner, in: before.0)), "ndisc6 heard \(cluster.describe(before.0))")

            await cluster.node(owner.name).kill()
            try await cluster.waitUntilSettled(owner: successor.name,
                                               live: Set(Layer2Lab.nodeNames).subtracting([owner.name]),
                                               within: .seconds(10))
            let after = try await poll("\(successor.port) in \(SnoopingLayer2LabTests.group)", within: .seconds(15),
                                       every: .milliseconds(100),
                                       observe: { try await SnoopingLayer2LabTests.ports(in: lab) },
                                       until: { $0.contains(successor.port) })
            print("ports in \(SnoopingLayer2LabTests.group) after \(successor.name) took over: \(after.sorted())")
            let taken = try await SnoopingLayer2LabTests.solicit(in: lab, round: round + 1)
            #expect(lab.holds(Layer2Cluster.only(successor, in: taken.answers)),
                    "ndisc6 heard \(cluster.describe(taken.answers))")
            #expect(lab.holds(taken.atClient == 0), "the client's port got \(taken.atClient) solicitations for the VIP")
        }
    }
}
