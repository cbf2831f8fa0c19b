import LBKernel
import Testing
@testable import Layer2Plugin

/// Election, startup hold, takeover and the announcement schedule, each test one story told at injected instants.
@Suite struct OwnershipStateMachineTests {
    /// Before `ready` nothing is owned even by the winner; at `ready` it answers and announces at once.
    @Test func startupHoldThenReady() {
        var n1 = OwnershipStateMachine(node: "n1")
        let b = l2Service("b", [vip101, vip6])  // n1 ranks first for 10.98.0.101

        // The desired set arrives before anything is heard: no table, no announcement.
        #expect(n1.desired(desiredSet([b]), at: t(0)) == [])
        // Heartbeats arrive during the hold: still nothing.
        #expect(n1.membership(live: ["n2", "n3"], joined: ["n2", "n3"], at: t(100)) == [])
        #expect(n1.table == .empty)
        #expect(n1.nextDeadline == nil)
        #expect(n1.state(of: "b") == .standby)
        #expect(n1.owner(of: "b") == "n1")  // elected, but not yet allowed to own
        #expect(!n1.status(at: t(100), wallClock: 0).ready)

        // The hold ends: owned at once, answered before it is announced.
        #expect(n1.ready(at: t(300)) == [
            .changed(.acquired(sid("b"), reason: .elected)),
            .answer(everywhere([vip101, vip6])),
            .announce([vip101, vip6]),
        ])
        #expect(n1.state(of: "b") == .owned)
        #expect(n1.nextDeadline == t(1300))
        #expect(n1.ready(at: t(400)) == [])  // once only
    }

    /// Three nodes given the same desired sets agree: each service is owned by exactly the first live candidate of
    /// its ranking; the other nodes answer nothing for it.
    @Test func steadyStateWithThreeCandidates() {
        let services = [l2Service("a", [vip100]), l2Service("b", [vip101]), l2Service("c", [vip6])]
        let nodes = ["n1", "n2", "n3"]
        let machines = nodes.map { node in
            readyMachine(services, live: Set(nodes).subtracting([node]), node: node)
        }
        let expectedOwner = ["a": "n2", "b": "n1", "c": "n3"]
        let address = ["a": vip100, "b": vip101, "c": vip6]
        for (node, machine) in zip(nodes, machines) {
            for name in ["a", "b", "c"] {
                #expect(machine.owner(of: name) == expectedOwner[name], "\(node) sees the owner of \(name)")
                let owns = expectedOwner[name] == node
                #expect(machine.state(of: name) == (owns ? .owned : .standby), "\(node) for \(name)")
                #expect(machine.table.answers(address[name]!, on: "eth0") == owns, "\(node) answers \(name)")
            }
            #expect(machine.table.entries.count == 1, "\(node) answers for its one service only")
        }
    }

    /// Over many services, the three nodes' tables partition the addresses: each is answered by exactly one node,
    /// with everyone live and after any one node dies.
    @Test(arguments: [nil, "n1", "n2", "n3"])
    func everyAddressHasExactlyOneOwner(dead: String?) {
        let nodes = ["n1", "n2", "n3"]
        let services = (1...300).map { l2Service("s\($0)", [IPAddress("10.98.1.0")!.advanced(by: $0)!]) }
        let survivors = nodes.filter { $0 != dead }
        var machines = survivors.map { readyMachine(services, live: Set(nodes).subtracting([$0]), node: $0) }
        for index in machines.indices { _ = machines[index].membership(live: Set(survivors), at: t(1000)) }
        for service in services {
            let answering = machines.filter { $0.table.answers(service.addresses[0], on: "eth0") }.map(\.node)
            #expect(answering.count == 1, "\(service.service) is answered by \(answering)")
        }
        // The election spreads the services (about a third each, never none).
        #expect(machines.allSatisfy { $0.table.entries.count > 50 })
    }

    /// The owner of 10.98.0.100 (ranking n2, n1, n3) as n1 sees it, for each set of live peers.
    static let owners: [(Set<String>, String)] = [
        ([], "n1"), (["n2"], "n2"), (["n3"], "n1"), (["n2", "n3"], "n2"), (["n2", "n3", "n4"], "n2"),
    ]

    @Test(arguments: owners)
    func firstLiveCandidateOwns(live: Set<String>, owner: String) {
        let machine = readyMachine([l2Service("a", [vip100])], live: live)
        #expect(machine.owner(of: "a") == owner)
        #expect(machine.state(of: "a") == (owner == "n1" ? .owned : .standby))
    }

    /// The owner's heartbeats stop: the next live candidate takes over at once, announces every address of the
    /// service, then again every second while less than five seconds have passed.
    @Test func ownerDiesNextCandidateAnnounces() {
        var n1 = readyMachine([l2Service("a", [vip100, vip6])], live: ["n2", "n3"])
        #expect(n1.state(of: "a") == .standby)
        #expect(n1.table == .empty)

        // n2 is declared dead at t = 10 s.
        #expect(n1.membership(live: ["n3"], at: t(10_000)) == [
            .changed(.acquired(sid("a"), reason: .ownerDied("n2"))),
            .answer(everywhere([vip100, vip6])),
            .announce([vip100, vip6]),
        ])
        // The repeats, at exact deadlines; nothing early.
        for second in 11...14 {
            #expect(n1.nextDeadline == t(second * 1000))
            #expect(n1.tick(at: t(second * 1000 - 1)) == [])
            #expect(n1.tick(at: t(second * 1000)) == [.announce([vip100, vip6])])
        }
        // Five announcements in [10 s, 15 s): the schedule is over.
        #expect(n1.nextDeadline == nil)
        #expect(n1.tick(at: t(15_000)) == [])
        #expect(n1.tick(at: t(60_000)) == [])
        #expect(n1.state(of: "a") == .owned)
    }

    /// The owner announces it is leaving (SIGTERM there): the same takeover, with the reason ownerLeft.
    @Test func ownerLeavesNextCandidateAnnounces() {
        var n1 = readyMachine([l2Service("a", [vip100, vip6])], live: ["n2", "n3"])
        #expect(n1.membership(live: ["n3"], left: ["n2"], at: t(10_000)) == [
            .changed(.acquired(sid("a"), reason: .ownerLeft("n2"))),
            .answer(everywhere([vip100, vip6])),
            .announce([vip100, vip6]),
        ])
        #expect(n1.nextDeadline == t(11_000))
        // A node that does not own the service leaving changes nothing.
        #expect(n1.membership(live: [], left: ["n3"], at: t(10_500)) == [])
    }

    /// (repeatEvery ms, repeatFor ms, offsets of the announcements after a takeover in ms).
    static let schedules: [(Int, Int, [Int])] = [
        (1000, 5000, [0, 1000, 2000, 3000, 4000]),
        (1100, 5000, [0, 1100, 2200, 3300, 4400]),  // MetalLB's spacing
        (2000, 5000, [0, 2000, 4000]),
        (1000, 1000, [0]),
        (1000, 0, [0]),
        (50, 200, [0, 50, 100, 150]),
    ]

    @Test(arguments: schedules)
    func announcementSchedule(every: Int, duration: Int, offsets: [Int]) {
        let settings = OwnershipStateMachine.Settings(repeatEvery: .milliseconds(every),
                                                      repeatFor: .milliseconds(duration))
        var n1 = readyMachine([l2Service("a", [vip100])], live: ["n2"], settings: settings)
        var sent: [Duration] = n1.membership(live: [], at: t(1000)).announced.isEmpty ? [] : [.zero]
        while let deadline = n1.nextDeadline {
            if !n1.tick(at: deadline).announced.isEmpty { sent.append(deadline - t(1000)) }
        }
        #expect(sent == offsets.map { Duration.milliseconds($0) })
    }

    /// A late tick sends one announcement, not the ones it missed, and the schedule keeps its phase.
    @Test func lateTickDoesNotCatchUp() {
        var n1 = readyMachine([l2Service("a", [vip100])], live: ["n2"])
        _ = n1.membership(live: [], at: t(1000))
        #expect(n1.tick(at: t(3500)) == [.announce([vip100])])  // the 2 s and 3 s points, once
        #expect(n1.nextDeadline == t(4000))
        #expect(n1.tick(at: t(4000)) == [.announce([vip100])])
        #expect(n1.tick(at: t(5000)) == [.announce([vip100])])
        #expect(n1.nextDeadline == nil)
    }

    /// A node joining, or re-joining after a partition healed, makes the owner announce everything it owns again,
    /// with a whole new schedule; standby services stay silent.
    @Test func joinRestartsTheBurst() {
        var n1 = readyMachine([l2Service("a", [vip100]), l2Service("b", [vip101, vip6])], live: ["n2", "n3"])
        // n1 owns b (it ranks first), n2 owns a. The takeover burst of b ends at t = 4 s.
        for second in 1...4 { _ = n1.tick(at: t(second * 1000)) }
        #expect(n1.nextDeadline == nil)

        // n3 restarts: it was missed for a moment, then joins again.
        #expect(n1.membership(live: ["n2"], at: t(20_000)) == [])
        #expect(n1.membership(live: ["n2", "n3"], joined: ["n3"], at: t(20_300)) == [.announce([vip101, vip6])])
        #expect(n1.nextDeadline == t(21_300))
        // Membership news without a join announces nothing.
        #expect(n1.membership(live: ["n2", "n3"], at: t(20_400)) == [])
        // A join reported for this node itself is not a join.
        #expect(n1.membership(live: ["n2", "n3"], joined: ["n1"], at: t(20_500)) == [])
    }

    /// An interface (re)opened: the same new burst for what is owned, nothing for what is being handed over.
    @Test func reannounceOwnedOnly() {
        var n1 = readyMachine([l2Service("b", [vip101]), l2Service("c", [vip100], candidates: ["n1", "n2"])],
                              live: [])
        // n1 owns both while alone; then n2, first for 10.98.0.100, joins and c is being handed to it.
        _ = n1.membership(live: ["n2"], joined: ["n2"], at: t(10_000))
        #expect(n1.state(of: "c") == .releasing)
        #expect(n1.reannounce(at: t(10_100)) == [.announce([vip101])])
        #expect(n1.nextDeadline == t(11_100))
        var early = OwnershipStateMachine(node: "n1")
        #expect(early.reannounce(at: t(0)) == [])
    }
}
