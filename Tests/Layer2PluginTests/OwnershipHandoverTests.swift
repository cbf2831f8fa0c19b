import LBKernel
import Testing
@testable import Layer2Plugin

/// Make-before-break: a node that loses a service keeps answering until the next owner has claimed it.
@Suite struct OwnershipHandoverTests {
    /// n1 owns 10.98.0.100 while n2, which ranks first, is away.
    func n1OwningA() -> OwnershipStateMachine {
        let machine = readyMachine([l2Service("a", [vip100, vip6])], live: ["n3"])
        #expect(machine.state(of: "a") == .owned)
        return machine
    }

    /// n2 comes back: n1 keeps answering (releasing) until n2's announcements of both addresses arrive.
    @Test func betterCandidateJoinsThenClaimsEachAddress() {
        var n1 = n1OwningA()
        #expect(n1.membership(live: ["n2", "n3"], joined: ["n2"], at: t(10_000)) == [
            .changed(.releasing(sid("a"), reason: .betterCandidateJoined("n2"))),
        ])
        #expect(n1.table == everywhere([vip100, vip6]))  // still answered
        #expect(n1.nextDeadline == t(12_000))
        #expect(n1.status(at: t(10_000), wallClock: 0).services[0].awaitingClaims == [vip100, vip6])

        // n2's startup hold ends; its gratuitous ARP arrives first: one address is not enough.
        #expect(n1.claimObserved(claim(vip100), at: t(10_300)) == [])
        #expect(n1.state(of: "a") == .releasing)
        #expect(n1.status(at: t(10_300), wallClock: 0).services[0].awaitingClaims == [vip6])
        // A repeat of the same claim changes nothing either.
        #expect(n1.claimObserved(claim(vip100), at: t(10_301)) == [])
        // The Neighbor Advertisement completes the handover.
        #expect(n1.claimObserved(claim(vip6), at: t(10_302)) == [
            .changed(.released(sid("a"), reason: .handedOver(claim(vip6)))),
            .answer(.empty),
        ])
        #expect(n1.state(of: "a") == .standby)
        #expect(n1.owner(of: "a") == "n2")
        #expect(n1.nextDeadline == nil)
        // Later announcements of n2 are nothing to n1.
        #expect(n1.claimObserved(claim(vip100), at: t(11_300)) == [])
    }

    /// No claim arrives: n1 stops answering when the handover timeout passes, not before.
    @Test func handoverTimesOut() {
        var n1 = n1OwningA()
        _ = n1.membership(live: ["n2", "n3"], joined: ["n2"], at: t(10_000))
        #expect(n1.claimObserved(claim(vip6), at: t(10_500)) == [])
        #expect(n1.tick(at: t(11_999)) == [])
        #expect(n1.tick(at: t(12_000)) == [
            .changed(.released(sid("a"), reason: .handoverTimedOut)),
            .answer(.empty),
        ])
        #expect(n1.nextDeadline == nil)
    }

    /// Another station announcing an address n1 owns is a conflict, reported, and nothing else changes: the
    /// election decides, not the loudest announcer.
    @Test func claimForAnOwnedAddressIsAConflict() {
        var n1 = n1OwningA()
        let deadline = n1.nextDeadline
        let intruder = claim(vip100, by: "n7", on: "eth1")
        #expect(n1.claimObserved(intruder, at: t(500)) == [.changed(.conflict(sid("a"), claim: intruder))])
        #expect(n1.state(of: "a") == .owned)
        #expect(n1.table == everywhere([vip100, vip6]))
        #expect(n1.nextDeadline == deadline)
        // A claim for an address of no service is ignored.
        #expect(n1.claimObserved(claim(vip101), at: t(600)) == [])
    }

    /// The node n1 was handing over to dies before it claimed everything: n1 owns the service again and announces.
    @Test func handoverTargetDiesBeforeClaiming() {
        var n1 = n1OwningA()
        _ = n1.membership(live: ["n2", "n3"], joined: ["n2"], at: t(10_000))
        _ = n1.claimObserved(claim(vip100), at: t(10_300))
        #expect(n1.membership(live: ["n3"], at: t(10_400)) == [
            .changed(.acquired(sid("a"), reason: .ownerDied("n2"))),
            .announce([vip100, vip6]),
        ])
        #expect(n1.nextDeadline == t(11_400))
        // A claim from before does not count towards a later handover.
        _ = n1.membership(live: ["n2", "n3"], joined: ["n2"], at: t(20_000))
        #expect(n1.claimObserved(claim(vip6), at: t(20_100)) == [])
        #expect(n1.state(of: "a") == .releasing)
    }

    /// How this node stops being a candidate for b (which it owns: it ranks first for 10.98.0.101).
    enum Loss: String, CaseIterable, CustomTestStringConvertible {
        /// Still listed, without a Layer 2 announcement.
        case withoutLayer2
        /// Still listed with Layer 2, but the candidates no longer name n1.
        case notAmongCandidates
        /// Not listed any more.
        case serviceGone

        var testDescription: String { rawValue }

        var desired: DesiredSet {
            switch self {
            case .withoutLayer2: desiredSet([l2Service("b", [vip101], candidates: nil)])
            case .notAmongCandidates: desiredSet([l2Service("b", [vip101], candidates: ["n2", "n3"])])
            case .serviceGone: desiredSet([])
            }
        }

        var reason: OwnershipReason { self == .serviceGone ? .serviceRemoved : .notCandidate }
    }

    /// Another live candidate exists: releasing, answered until the claim, then forgotten.
    @Test(arguments: Loss.allCases)
    func noLongerCandidateHandsOver(loss: Loss) {
        var n1 = readyMachine([l2Service("b", [vip101])], live: ["n2", "n3"])
        #expect(n1.desired(loss.desired, at: t(10_000)) == [.changed(.releasing(sid("b"), reason: loss.reason))])
        #expect(n1.table == everywhere([vip101]))
        #expect(n1.owner(of: "b") == "n3")  // the next in the ranking, n1 no longer counting
        #expect(n1.claimObserved(claim(vip101, by: "n3"), at: t(10_050)) == [
            .changed(.released(sid("b"), reason: .handedOver(claim(vip101, by: "n3")))),
            .answer(.empty),
        ])
        #expect(n1.status(at: t(10_050), wallClock: 0).services.isEmpty)
        // The same desired set again: nothing.
        #expect(n1.desired(loss.desired, at: t(10_100)) == [])
    }

    /// Nobody else is live: stopping at once, there is no one to hand over to.
    @Test(arguments: Loss.allCases)
    func noLongerCandidateWithNobodyElseStopsAtOnce(loss: Loss) {
        var n1 = readyMachine([l2Service("b", [vip101])], live: [])
        #expect(n1.desired(loss.desired, at: t(10_000)) == [
            .changed(.released(sid("b"), reason: loss.reason)),
            .answer(.empty),
        ])
        #expect(n1.nextDeadline == nil)
        #expect(n1.status(at: t(10_000), wallClock: 0).services.isEmpty)
    }

    /// Releasing because not a candidate, and the only node that could take over dies: stop at once.
    @Test func releasingWithoutTakerStops() {
        var n1 = readyMachine([l2Service("b", [vip101], candidates: ["n1", "n2"])], live: ["n2"])
        _ = n1.desired(desiredSet([]), at: t(1000))
        #expect(n1.state(of: "b") == .releasing)
        #expect(n1.membership(live: [], at: t(1100)) == [
            .changed(.released(sid("b"), reason: .serviceRemoved)),
            .answer(.empty),
        ])
    }

    /// A service n1 only stood by for disappears silently.
    @Test func standbyServiceRemovedSilently() {
        var n1 = readyMachine([l2Service("a", [vip100])], live: ["n2"])
        #expect(n1.state(of: "a") == .standby)
        #expect(n1.desired(desiredSet([]), at: t(1000)) == [])
        #expect(n1.status(at: t(1000), wallClock: 0).services.isEmpty)
    }

    /// A partition between n1 and n2 (candidates of a, which n2 wins): each side elects itself, so both answer for
    /// the duration of the partition. When it heals, each sees the other join: n1 releases, n2 announces again,
    /// and n2's announcements end n1's answering: one owner again.
    @Test func partitionHealsToOneOwner() {
        let a = l2Service("a", [vip100, vip6], candidates: ["n1", "n2"])
        var n1 = readyMachine([a], live: ["n2"], node: "n1")
        var n2 = readyMachine([a], live: ["n1"], node: "n2")
        for second in 1...4 { _ = n2.tick(at: t(second * 1000)) }  // n2's takeover burst is over
        #expect(n1.table == .empty)
        #expect(n2.table == everywhere([vip100, vip6]))

        // The partition: each declares the other dead.
        #expect(n1.membership(live: [], at: t(10_000)).tables == [everywhere([vip100, vip6])])
        #expect(n2.membership(live: [], at: t(10_000)) == [])  // n2 owned it all along
        #expect(n1.state(of: "a") == .owned && n2.state(of: "a") == .owned)

        // It heals: both hear each other again.
        #expect(n1.membership(live: ["n2"], joined: ["n2"], at: t(30_000)) == [
            .changed(.releasing(sid("a"), reason: .betterCandidateJoined("n2"))),
        ])
        let reannounce = n2.membership(live: ["n1"], joined: ["n1"], at: t(30_000))
        #expect(reannounce == [.announce([vip100, vip6])])
        // n2's announcements reach n1 (from n2's MAC), which stops answering.
        var last: [OwnershipStateMachine.Action] = []
        for address in reannounce.announced.flatMap({ $0 }) {
            last = n1.claimObserved(claim(address, by: "n2"), at: t(30_001))
        }
        #expect(last.tables == [.empty])
        #expect(n1.state(of: "a") == .standby && n2.state(of: "a") == .owned)
    }
}
