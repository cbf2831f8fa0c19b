import LBKernel
import Testing
@testable import Layer2Plugin

/// SIGTERM: hand everything over where someone can take it, then report that shutdown may finish.
@Suite struct OwnershipShutdownTests {
    /// n1 owns b (10.98.0.101, n2 and n3 can take it) and solo (only n1 is a candidate), stands by for a.
    func n1Owning() -> OwnershipStateMachine {
        readyMachine([l2Service("a", [vip100]), l2Service("b", [vip101, vip6]),
                      l2Service("solo", [IPAddress("10.98.0.7")!], candidates: ["n1"])],
                     live: ["n2", "n3"])
    }

    @Test func handsOverThenCompletes() {
        var n1 = n1Owning()
        #expect(n1.shutdown(at: t(10_000)) == [
            .changed(.releasing(sid("b"), reason: .shutdown)),
            .changed(.released(sid("solo"), reason: .shutdown)),  // nobody else can answer for it
            .answer(everywhere([vip101, vip6])),
        ])
        #expect(n1.owner(of: "b") == "n3")  // n1 no longer counts
        #expect(n1.nextDeadline == t(12_000))
        // n3 saw n1 leave and announces; n1 stops answering and may exit.
        #expect(n1.claimObserved(claim(vip6, by: "n3"), at: t(10_010)) == [])
        #expect(n1.claimObserved(claim(vip101, by: "n3"), at: t(10_011)) == [
            .changed(.released(sid("b"), reason: .handedOver(claim(vip101, by: "n3")))),
            .answer(.empty),
            .shutdownComplete,
        ])
        #expect(n1.isShutdownComplete)
        #expect(n1.shutdown(at: t(10_012)) == [])
    }

    /// The next owner never claims: shutdown completes at the handover timeout.
    @Test func completesAtTheHandoverTimeout() {
        var n1 = n1Owning()
        _ = n1.shutdown(at: t(10_000))
        #expect(n1.tick(at: t(11_999)) == [])
        #expect(n1.tick(at: t(12_000)) == [
            .changed(.released(sid("b"), reason: .handoverTimedOut)),
            .answer(.empty),
            .shutdownComplete,
        ])
    }

    /// The node that was to take over dies during the handover: nobody can take it, stop now.
    @Test func completesWhenTheTakersDie() {
        var n1 = n1Owning()
        _ = n1.shutdown(at: t(10_000))
        #expect(n1.membership(live: ["n2"], at: t(10_100)) == [])  // n2 can still take b
        #expect(n1.membership(live: [], at: t(10_200)) == [
            .changed(.released(sid("b"), reason: .shutdown)),
            .answer(.empty),
            .shutdownComplete,
        ])
    }

    /// Nothing owned (before ready, or standby only): complete at once.
    @Test func nothingOwnedCompletesAtOnce() {
        var early = OwnershipStateMachine(node: "n1")
        _ = early.desired(desiredSet([l2Service("b", [vip101])]), at: t(0))
        #expect(early.shutdown(at: t(100)) == [.shutdownComplete])

        var standby = readyMachine([l2Service("a", [vip100])], live: ["n2"])
        #expect(standby.shutdown(at: t(100)) == [.shutdownComplete])
    }

    /// Nobody can take over: everything stops at once.
    @Test func nobodyElseCompletesAtOnce() {
        var alone = readyMachine([l2Service("b", [vip101, vip6])], live: [])
        #expect(alone.shutdown(at: t(100)) == [
            .changed(.released(sid("b"), reason: .shutdown)),
            .answer(.empty),
            .shutdownComplete,
        ])
    }

    /// After shutdown nothing is acquired again, whatever happens.
    @Test func nothingIsAcquiredAfterShutdown() {
        var n1 = readyMachine([l2Service("a", [vip100])], live: ["n2"])
        #expect(n1.shutdown(at: t(100)) == [.shutdownComplete])
        #expect(n1.membership(live: [], at: t(200)) == [])  // n2, the owner, dies
        #expect(n1.desired(desiredSet([l2Service("a", [vip100]), l2Service("b", [vip101])]), at: t(300)) == [])
        #expect(n1.ready(at: t(400)) == [])
        #expect(n1.membership(live: ["n3"], joined: ["n3"], at: t(500)) == [])
        #expect(n1.tick(at: t(10_000)) == [])
        #expect(n1.table == .empty)
        #expect(n1.nextDeadline == nil)
        #expect(n1.status(at: t(600), wallClock: 0).services.allSatisfy { $0.state == .standby })
    }
}
