import Foundation
import LabKit
import LBKernel
import Testing

/// Three lbd nodes with one dual-stack service: the expected owner, and only it, answers for the VIPs.
@Suite(.serialized)
struct OwnerLayer2LabTests {
    @Test("the expected owner answers arping and ndisc6 alone; the client's cache and UDP reach it")
    func ownerAnswers() async throws {
        try await withLayer2Lab { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let owner = cluster.owner
            #expect(lab.holds(owner.name == "n3"), "SHA-256 order of n#10.97.0.100 is n3, n1, n2")

            let arp = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(Layer2Cluster.only(owner, in: arp, atLeast: 3)), "arping heard \(cluster.describe(arp))")
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
            #expect(lab.holds(Layer2Cluster.only(owner, in: ndp)), "ndisc6 heard \(cluster.describe(ndp))")

            let prober = try await Prober.start(lab, from: lab.client, count: 20)
            let timeline = try await prober.finish()
            for family in [4, 6] {
                #expect(lab.holds(timeline.replies(family).count == 20 && timeline.nodes(family) == [owner.name]),
                        "UDP over IPv\(family): \(timeline.summary)")
            }
            for address in [IPAddress.v4(Layer2Lab.vip4), .v6(Layer2Lab.vip6)] {
                let entry = try await NeighborQueries.neighbor(lab, in: lab.client, address)
                #expect(lab.holds(entry?.lladdr == owner.mac),
                        "the client's entry for \(address): \(entry.map { "\($0)" } ?? "none"), owner \(owner)")
            }

            // What the owner says about itself: both VIPs, on eth0 with ARP and NDP, ranked as computed here.
            let status = try #require(try cluster.node(owner.name).status())
            let service = try #require(status.service(Layer2Cluster.service))
            #expect(lab.holds(Set(service.addresses) == ["\(Layer2Lab.vip4)", "\(Layer2Lab.vip6)"]))
            #expect(lab.holds(service.ranking == cluster.ranking))
            let eth0 = status.interfaces?.first { $0.name == "eth0" }
            #expect(lab.holds(eth0?.mac?.lowercased() == owner.mac && eth0?.arp == true && eth0?.ndp == true),
                    "interfaces: \(String(describing: status.interfaces))")
            for node in cluster.nodes { try node.requireRunning() }
        }
    }
}
