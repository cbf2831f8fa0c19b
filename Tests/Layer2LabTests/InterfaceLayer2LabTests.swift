import Foundation
import LabKit
import LBKernel
import Testing

/// lbd follows its interfaces: a standby node whose eth0 goes down and comes back answers when it later becomes
/// the owner (its libpcap link reopened, its heartbeats and solicited-node group back on the interface).
@Suite(.serialized)
struct InterfaceLayer2LabTests {
    @Test("a standby node's eth0 goes down and up; when it becomes the owner it answers ARP, NDP and the client")
    func standbyLinkComesBack() async throws {
        try await withLayer2Lab { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let (owner, successor) = (cluster.owner, cluster.successor)
            let everyone = Set(Layer2Lab.nodeNames)

            try await lab.setLink(successor, up: false)
            try await cluster.waitUntilSettled(owner: owner.name, live: everyone.subtracting([successor.name]),
                                               within: .seconds(10))
            try await lab.setLink(successor, up: true)
            try await lab.waitForLinkLocal(successor)
            try await cluster.waitUntilSettled(owner: owner.name, live: everyone, within: .seconds(15))
            let status = try #require(try cluster.node(successor.name).status())
            let eth0 = status.interfaces?.first { $0.name == "eth0" }
            #expect(lab.holds(eth0?.arp == true && eth0?.ndp == true),
                    "\(successor.name)'s interfaces: \(String(describing: status.interfaces))")

            await cluster.node(owner.name).kill()
            try await cluster.waitUntilSettled(owner: successor.name, live: everyone.subtracting([owner.name]),
                                               within: .seconds(10))
            let arp = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(Layer2Cluster.only(successor, in: arp, atLeast: 3)),
                    "arping heard \(cluster.describe(arp))")
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
            #expect(lab.holds(Layer2Cluster.only(successor, in: ndp)), "ndisc6 heard \(cluster.describe(ndp))")
            let prober = try await Prober.start(lab, from: lab.client)
            try await prober.wait(for: "the client's probes answered by \(successor.name)", within: .seconds(10)) {
                $0.steady(on: successor.name, count: 10)
            }
            _ = await prober.stop()
        }
    }
}
