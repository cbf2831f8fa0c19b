import Foundation
import LabKit
import LBKernel
import Testing

/// A partition: the owner cut off at the bridge keeps owning on its side while the others elect the next node; when
/// the bridge lets it back, the two owners must converge to one, the expected one, within a bound.
@Suite(.serialized)
struct PartitionLayer2LabTests {
    @Test("an isolated owner keeps its claim, the others elect the successor; after healing only the owner answers")
    func partitionHeals() async throws {
        try await withLayer2Lab { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let (owner, successor) = (cluster.owner, cluster.successor)
            let others = Set(Layer2Lab.nodeNames).subtracting([owner.name])

            let prober = try await Prober.start(lab, from: lab.client)
            try await prober.wait(for: "steady replies from \(owner.name)", within: .seconds(10)) {
                $0.steady(on: owner.name, count: 10)
            }

            try await lab.setPort(owner, forwarding: false)
            try await cluster.waitUntilSettled(owner: successor.name, live: others, within: .seconds(10))
            try await prober.wait(for: "the client moved to \(successor.name)", within: .seconds(10)) {
                $0.steady(on: successor.name, count: 10)
            }
            // The isolated owner hears nobody and, as far as it knows, still owns the service.
            try await cluster.waitForStatus(of: owner.name, "alone and still the owner") { status in
                status.live.isEmpty && status.service(Layer2Cluster.service).map {
                    $0.state == "owned" && $0.owner == owner.name
                } == true
            }
            let during = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(Layer2Cluster.only(successor, in: during, atLeast: 3)),
                    "during the partition arping heard \(cluster.describe(during))")

            let clock = ContinuousClock(), healed = clock.now
            try await lab.setPort(owner, forwarding: true)
            try await cluster.waitUntilSettled(owner: owner.name, live: Set(Layer2Lab.nodeNames), within: .seconds(15))
            let settled = healed.duration(to: clock.now)
            let converged = try await cluster.waitForARP(answeredOnlyBy: owner, within: .seconds(15))
            print("partition healed: status files agree after \(settled), arping hears only \(owner.name) after "
                  + "\(healed.duration(to: clock.now)) (the wait took \(converged))")
            // Stable: three more broadcast rounds, one MAC; NDP agrees.
            let after = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(Layer2Cluster.only(owner, in: after, atLeast: 3)),
                    "after healing arping heard \(cluster.describe(after))")
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
            #expect(lab.holds(Layer2Cluster.only(owner, in: ndp)),
                    "after healing ndisc6 heard \(cluster.describe(ndp))")
            // The client was moved back by the owner's announcements.
            try await prober.wait(for: "the client's probes answered by \(owner.name) again", within: .seconds(10)) {
                $0.steady(on: owner.name, count: 10)
            }
            print("the client's probes: \(await prober.stop().summary)")
        }
    }
}
