import LBKernel
import Testing
@testable import Layer2Plugin

/// The answer table: interfaces, addresses shared between services, and desired sets that change nothing.
@Suite struct OwnershipTableTests {
    /// a (candidates n1, n3: n1 wins) and b (n1, n2, n3: n2 wins) share 10.98.0.100; b also has 10.98.0.101.
    let a = l2Service("a", [vip100], candidates: ["n1", "n3"])
    let b = l2Service("b", [vip100, vip101])

    /// Two services with one address and different owners: the table holds what n1 owns, and the address never
    /// leaves it while n1 owns either service, whatever happens to the other (no flapping).
    @Test func sharedAddressWithDifferentOwners() {
        var n1 = readyMachine([a, b], live: ["n2", "n3"])
        #expect(n1.state(of: "a") == .owned && n1.state(of: "b") == .standby)
        #expect(n1.table == everywhere([vip100]))

        // n2 announces the shared address for b: a conflict on a (both answer: the services disagree on their
        // candidates), reported, nothing changes; the same set again changes nothing.
        #expect(n1.claimObserved(claim(vip100), at: t(1000)) == [.changed(.conflict(sid("a"), claim: claim(vip100)))])
        #expect(n1.desired(desiredSet([a, b]), at: t(1100)) == [])

        // n2 dies: n1 owns b too; only its other address is new to the table.
        var actions = n1.membership(live: ["n3"], at: t(2000))
        #expect(actions == [
            .changed(.acquired(sid("b"), reason: .ownerDied("n2"))),
            .answer(everywhere([vip100, vip101])),
            .announce([vip100, vip101]),
        ])
        // n2 returns: b is handed back; 10.98.0.100 stays in every table sent, as a still owns it.
        actions = n1.membership(live: ["n2", "n3"], joined: ["n2"], at: t(3000))
        #expect(actions == [
            .changed(.releasing(sid("b"), reason: .betterCandidateJoined("n2"))),
            .announce([vip100]),  // the join burst of a
        ])
        #expect(n1.claimObserved(claim(vip100), at: t(3100)) == [.changed(.conflict(sid("a"), claim: claim(vip100)))])
        #expect(n1.claimObserved(claim(vip101), at: t(3101)) == [
            .changed(.released(sid("b"), reason: .handedOver(claim(vip101)))),
            .answer(everywhere([vip100])),
        ])
    }

    /// Each address is answered on the union of the interfaces of the services that hold it; a service with
    /// no interface list (all) opens it everywhere.
    @Test func interfacesOfSharedAddressesUnite() {
        let onEth0 = l2Service("a", [vip101], interfaces: ["eth0"])
        let onEth1 = l2Service("b", [vip101, vip6], interfaces: ["eth1"])
        var n1 = readyMachine([onEth0, onEth1], live: [])
        #expect(n1.table == AnswerTable(entries: [vip101: ["eth0", "eth1"], vip6: ["eth1"]]))
        #expect(!n1.table.answers(vip6, on: "eth0"))

        let everywhereA = l2Service("a", [vip101])
        #expect(n1.desired(desiredSet([everywhereA, onEth1]), at: t(1000)).tables
                    == [AnswerTable(entries: [vip101: [], vip6: ["eth1"]])])
        #expect(n1.table.answers(vip101, on: "eth7"))
    }

    /// A service's `layer2.interfaces` is its addresses' allowed set; changing it while owned changes the table
    /// and announces again (on the new interfaces too); empty means all.
    @Test func interfacesFollowTheAdvertisement() {
        var n1 = readyMachine([l2Service("b", [vip101, vip6], interfaces: ["eth1", "eth0"])], live: ["n2"])
        #expect(n1.table == AnswerTable(entries: [vip101: ["eth0", "eth1"], vip6: ["eth0", "eth1"]]))
        #expect(n1.table.answers(vip6, on: "eth1") && !n1.table.answers(vip6, on: "eth2"))

        #expect(n1.desired(desiredSet([l2Service("b", [vip101, vip6])]), at: t(10_000)) == [
            .answer(everywhere([vip101, vip6])),
            .announce([vip101, vip6]),
        ])
        #expect(n1.nextDeadline == t(11_000))
        #expect(n1.table.answers(vip6, on: "eth2"))
    }

    /// An address added to an owned service is answered and announced; the election key is unchanged.
    @Test func addressAddedWhileOwned() {
        var n1 = readyMachine([l2Service("b", [vip101])], live: ["n2"])
        #expect(n1.desired(desiredSet([l2Service("b", [vip101, vip6])]), at: t(10_000)) == [
            .answer(everywhere([vip101, vip6])),
            .announce([vip101, vip6]),
        ])
    }

    /// The first address is the election key: changing it re-elects (10.98.0.100 makes n2 the owner). n1 hands
    /// over what it was answering, and never starts answering the address it never owned.
    @Test func firstAddressChangeReelects() {
        var n1 = readyMachine([l2Service("b", [vip101, vip6])], live: ["n2", "n3"])
        #expect(n1.desired(desiredSet([l2Service("b", [vip100, vip101, vip6])]), at: t(10_000)) == [
            .changed(.releasing(sid("b"), reason: .betterCandidateJoined("n2"))),
        ])
        #expect(n1.table == everywhere([vip101, vip6]))
        // An address the service loses while releasing is dropped at once; the rest waits for its claim.
        #expect(n1.desired(desiredSet([l2Service("b", [vip100, vip101])]), at: t(10_100)) == [
            .answer(everywhere([vip101])),
        ])
        #expect(n1.claimObserved(claim(vip100), at: t(10_200)) == [])  // never answered, not awaited
        #expect(n1.claimObserved(claim(vip101), at: t(10_300)) == [
            .changed(.released(sid("b"), reason: .handedOver(claim(vip101)))),
            .answer(.empty),
        ])
    }

    /// The only address still awaiting its claim leaves the service: the handover is complete.
    @Test func handoverCompletesWhenTheUnclaimedAddressGoes() {
        var n1 = readyMachine([l2Service("b", [vip101, vip6])], live: ["n2", "n3"])
        _ = n1.desired(desiredSet([l2Service("b", [vip101, vip6], candidates: ["n2", "n3"])]), at: t(10_000))
        #expect(n1.claimObserved(claim(vip101, by: "n3"), at: t(10_100)) == [])
        #expect(n1.desired(desiredSet([l2Service("b", [vip101], candidates: ["n2", "n3"])]), at: t(10_200)) == [
            .changed(.released(sid("b"), reason: .handedOver(claim(vip101, by: "n3")))),
            .answer(.empty),
        ])
        #expect(n1.status(at: t(10_200), wallClock: 0).services.isEmpty)
    }

    /// Losing the service while its addresses all change: nothing n1 answered is left, so it stops at once.
    @Test func lossWithEveryAddressChangedStopsAtOnce() {
        var n1 = readyMachine([l2Service("b", [vip101])], live: ["n2", "n3"])
        #expect(n1.desired(desiredSet([l2Service("b", [vip100])]), at: t(10_000)) == [
            .changed(.released(sid("b"), reason: .betterCandidateJoined("n2"))),
            .answer(.empty),
        ])
    }

    /// Desired sets that change nothing this plugin uses produce nothing, whatever n1's role.
    @Test func idempotentDesiredSets() {
        let services = [l2Service("a", [vip100]), l2Service("b", [vip101, vip6], interfaces: ["eth0"])]
        var n1 = readyMachine(services, live: ["n2", "n3"])  // owns b, stands by for a
        #expect(n1.desired(desiredSet(services), at: t(100)) == [])
        // Other fields (pool, BGP routes) and services without Layer 2 are not this plugin's business.
        var edited = services
        edited[0].pool = "other"
        edited[1].bgp = [BGPRoute(prefix: IPPrefix(address: vip101, length: 32)!, advertisement: "ad")]
        let bgpOnly = ServiceAnnouncement(service: sid("z"), addresses: [vip100], pool: "lan")
        #expect(n1.desired(desiredSet(edited + [bgpOnly]), at: t(200)) == [])
        // The same membership, with no join, and a repeated ready: nothing either.
        #expect(n1.membership(live: ["n2", "n3"], at: t(300)) == [])
        #expect(n1.ready(at: t(400)) == [])
        // While releasing too.
        _ = n1.desired(desiredSet([services[0]]), at: t(500))
        #expect(n1.state(of: "b") == .releasing)
        #expect(n1.desired(desiredSet([services[0]]), at: t(600)) == [])
        #expect(n1.state(of: "b") == .releasing)
    }
}
