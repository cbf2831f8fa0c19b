import Foundation
import LabKit
import LBKernel
import Testing

/// Hostile and broken frames from the observer at the nodes (LabScripts.frames): nothing is answered, nothing
/// crashes, and the owner still answers well-formed requests afterwards.
@Suite(.serialized)
struct BadInputLayer2LabTests {
    @Test("malformed, truncated, spoofed and random ARP and NDP frames get no answer; lbd survives and still answers")
    func badFrames() async throws {
        try await withLayer2Lab { lab in
            let cluster = try await Layer2Cluster.start(in: lab)
            let owner = cluster.owner
            let seed = FrameBarrage.seed()
            let bad = try await FrameBarrage.send(.bad, in: lab, owner: owner, seed: seed)
            #expect(lab.holds(bad.quiet_ms >= 0), "the nodes never stopped announcing for 1.2 s")
            #expect(lab.holds(bad.cases.count > 100))
            let answered = bad.cases.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
            let listing = answered.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            #expect(lab.holds(answered.isEmpty), "frames answered (frames.py seed \(seed)): \(listing)")
            print("bad input: \(bad.cases.count) frames (seed \(seed)), \(answered.count) answered")

            for node in cluster.nodes { try node.requireRunning() }
            try await cluster.waitUntilSettled(owner: owner.name, live: Set(Layer2Lab.nodeNames), within: .seconds(10))

            let control = try await FrameBarrage.send(.control, in: lab, owner: owner)
            #expect(lab.holds(control.cases.count == 8))
            for (name, replies) in control.cases.sorted(by: { $0.key < $1.key }) {
                #expect(lab.holds(replies.count == 1 && replies.allSatisfy { $0.node == owner.mac }),
                        "\(name) must be answered once by \(owner): \(replies)")
            }
            let arp = try await NeighborQueries.arping(lab, from: lab.observer, Layer2Lab.vip4)
            #expect(lab.holds(Layer2Cluster.only(owner, in: arp, atLeast: 3)), "arping heard \(cluster.describe(arp))")
            let ndp = try await NeighborQueries.ndisc6(lab, from: lab.observer, Layer2Lab.vip6)
            #expect(lab.holds(Layer2Cluster.only(owner, in: ndp)), "ndisc6 heard \(cluster.describe(ndp))")
            for node in cluster.nodes { try node.requireRunning() }
        }
    }
}
