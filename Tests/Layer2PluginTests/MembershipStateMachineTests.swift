import Testing
@testable import Layer2Plugin

/// A state machine driven by a fake clock: instants and wall-clock readings are both given in milliseconds since
/// the start of the test.
private struct Timeline {
    static let wallBase: UInt64 = 1_760_000_000_000_000_000
    let start = ContinuousClock.now
    var machine: MembershipStateMachine

    init(node: String = "n1", incarnation: UInt64 = wallBase - 60_000_000_000, deadAfter: Int = 3,
         maxClockSkew: Duration = .seconds(10)) {
        machine = MembershipStateMachine(node: node, incarnation: incarnation, deadAfter: deadAfter,
                                         maxClockSkew: maxClockSkew)
    }

    func instant(_ ms: Int) -> ContinuousClock.Instant { start + .milliseconds(ms) }
    static func wall(_ ms: Int) -> UInt64 { UInt64(Int64(wallBase) + Int64(ms) * 1_000_000) }

    /// A beat of `node` received at `ms`, sent at `sentAt` (default: `ms`) by the sender's clock.
    @discardableResult
    mutating func beat(_ node: String, _ sequence: UInt64, at ms: Int, incarnation: UInt64 = 1_000,
                       interval: UInt32 = 100, leaving: Bool = false,
                       sentAt: Int? = nil) -> Result<[MembershipEvent], HeartbeatRejection> {
        let heartbeat = Heartbeat(node: node, incarnation: incarnation, sequence: sequence,
                                  timestamp: Self.wall(sentAt ?? ms), intervalMilliseconds: interval, leaving: leaving)
        return machine.receive(heartbeat, at: instant(ms), wallClock: Self.wall(ms))
    }

    mutating func tick(at ms: Int) -> [MembershipEvent] { machine.tick(at: instant(ms)) }
}

@Suite("Membership state machine")
struct MembershipStateMachineTests {
    @Test func aFirstBeatJoinsAndLaterBeatsChangeNothing() {
        var t = Timeline()
        #expect(t.beat("n2", 1, at: 0) == .success([.joined("n2")]))
        #expect(t.machine.live == ["n2"])
        #expect(t.beat("n2", 2, at: 100) == .success([]))
        #expect(t.beat("n2", 3, at: 200) == .success([]))
        #expect(t.tick(at: 500) == [])
        #expect(t.machine.live == ["n2"])
    }

    /// Dead after deadAfter (3) × the sender's interval (100 ms) plus half an interval: 350 ms after the last beat.
    @Test func aSilentNodeDiesAfterDeadAfterIntervalsPlusGrace() {
        var t = Timeline()
        t.beat("n2", 1, at: 0)
        t.beat("n2", 2, at: 100)
        #expect(t.machine.nextDeadline == t.instant(450))
        #expect(t.tick(at: 449) == [])
        #expect(t.machine.live == ["n2"])
        #expect(t.tick(at: 450) == [.died("n2")])
        #expect(t.machine.live.isEmpty)
        #expect(t.machine.nextDeadline == nil)
        #expect(t.tick(at: 600) == [], "died once")
    }

    /// A node beating again with the same incarnation (a healed partition) joins again.
    @Test func aDeadNodeThatBeatsAgainJoins() {
        var t = Timeline()
        t.beat("n2", 1, at: 0)
        #expect(t.tick(at: 350) == [.died("n2")])
        #expect(t.beat("n2", 9, at: 1_000) == .success([.joined("n2")]))
        #expect(t.machine.live == ["n2"])
    }

    /// Each node is judged by its own announced interval.
    @Test func eachNodeIsJudgedByItsOwnInterval() {
        var t = Timeline()
        t.beat("fast", 1, at: 0, interval: 10)
        t.beat("slow", 1, at: 0, interval: 1_000)
        #expect(t.machine.nextDeadline == t.instant(35))
        #expect(t.tick(at: 35) == [.died("fast")])
        #expect(t.tick(at: 3_499) == [])
        #expect(t.tick(at: 3_500) == [.died("slow")])
    }

    /// The latest interval counts: a node that slows down is not declared dead by its old interval.
    @Test func aChangedIntervalTakesEffectAtOnce() {
        var t = Timeline()
        t.beat("n2", 1, at: 0, interval: 10)
        t.beat("n2", 2, at: 10, interval: 100)
        #expect(t.tick(at: 100) == [])
        #expect(t.tick(at: 360) == [.died("n2")])
    }

    @Test func nodesDyingTogetherAreReportedInNameOrder() {
        var t = Timeline()
        for name in ["n4", "n2", "n3"] { t.beat(name, 1, at: 0) }
        #expect(t.tick(at: 400) == [.died("n2"), .died("n3"), .died("n4")])
    }

    /// A leaving beat: gone at once; the same incarnation never comes back, a new one does.
    @Test func aLeavingNodeIsGoneAtOnceUntilItRestarts() {
        var t = Timeline()
        t.beat("n2", 1, at: 0)
        #expect(t.beat("n2", 2, at: 50, leaving: true) == .success([.left("n2")]))
        #expect(t.machine.live.isEmpty)
        #expect(t.machine.nextDeadline == nil)
        #expect(t.beat("n2", 3, at: 52, leaving: true) == .success([]), "repeated leaving beats are quiet")
        #expect(t.beat("n2", 4, at: 54, leaving: true) == .success([]))
        #expect(t.beat("n2", 5, at: 100) == .failure(.leftIncarnation))
        #expect(t.machine.live.isEmpty)
        #expect(t.tick(at: 1_000) == [], "a node that left does not die as well")
        #expect(t.beat("n2", 1, at: 2_000, incarnation: 2_000) == .success([.joined("n2")]))
        #expect(t.machine.live == ["n2"])
    }

    @Test func aFirstBeatThatIsLeavingChangesNothing() {
        var t = Timeline()
        #expect(t.beat("n2", 1, at: 0, leaving: true) == .success([]))
        #expect(t.machine.live.isEmpty)
        #expect(t.beat("n2", 2, at: 10) == .failure(.leftIncarnation))
    }

    /// A live node with a higher incarnation restarted faster than it could die; the old incarnation is over.
    @Test func aHigherIncarnationOfALiveNodeIsARestart() {
        var t = Timeline()
        t.beat("n2", 50, at: 0, incarnation: 1_000)
        #expect(t.beat("n2", 1, at: 100, incarnation: 2_000) == .success([.restarted("n2")]))
        #expect(t.machine.live == ["n2"])
        #expect(t.beat("n2", 51, at: 150, incarnation: 1_000) == .failure(.oldIncarnation))
        #expect(t.beat("n2", 2, at: 200, incarnation: 2_000) == .success([]))
    }

    /// A dead or departed node that comes back with a new incarnation joins (it is no longer live to restart).
    @Test func aNewIncarnationOfADeadNodeJoins() {
        var t = Timeline()
        t.beat("n2", 1, at: 0, incarnation: 1_000)
        _ = t.tick(at: 350)
        #expect(t.beat("n2", 1, at: 500, incarnation: 2_000) == .success([.joined("n2")]))
    }

    /// The replay guard: nothing at or below the highest (incarnation, sequence) counts, and a replay does not keep
    /// a silent node alive.
    @Test func replaysAreRejectedAndDoNotKeepANodeAlive() {
        var t = Timeline()
        t.beat("n2", 5, at: 0)
        #expect(t.beat("n2", 5, at: 100, sentAt: 0) == .failure(.replayed))
        #expect(t.beat("n2", 4, at: 200, sentAt: 0) == .failure(.replayed))
        #expect(t.beat("n2", 5, at: 300, sentAt: 0) == .failure(.replayed))
        #expect(t.tick(at: 350) == [.died("n2")])
        #expect(t.machine.rejections == [.replayed: 3])
    }

    /// The time window, both ways, with its edge (10 s is accepted, 10 s and 1 ns is not).
    @Test(arguments: [
        (0, true), (10_000, true), (-10_000, true), (10_001, false), (-10_001, false), (3_600_000, false),
    ])
    func beatsOutsideTheClockWindowAreRejected(skewMilliseconds: Int, accepted: Bool) {
        var t = Timeline()
        let result = t.beat("n2", 1, at: 20_000, sentAt: 20_000 - skewMilliseconds)
        if accepted {
            #expect(result == .success([.joined("n2")]))
        } else {
            #expect(result == .failure(.clockSkew))
            #expect(t.machine.members["n2"] == nil, "a rejected beat records nothing")
        }
    }

    /// Our own name: looped back (our incarnation), our previous life (older, sent before we started), or another
    /// node with our name.
    @Test(arguments: [
        // (incarnation offset from ours in ms, sent at ms from the test's start, expected)
        (0, 0, HeartbeatRejection.fromSelf),
        (-5_000, -61_000, .oldIncarnation),
        (-5_000, 0, .duplicateNodeName),
        (5_000, 0, .duplicateNodeName),
    ])
    func beatsWithOurNameAreNeverAccepted(incarnationOffset: Int, sentAt: Int, expected: HeartbeatRejection) {
        let ours = Timeline.wall(-60_000)
        var t = Timeline(node: "n1", incarnation: ours)
        let incarnation = UInt64(Int64(ours) + Int64(incarnationOffset) * 1_000_000)
        let result = t.beat("n1", 1, at: 0, incarnation: incarnation, sentAt: sentAt)
        #expect(result == .failure(expected))
        #expect(t.machine.live.isEmpty)
        #expect(t.machine.rejections == [expected: 1])
    }

    /// A node gone for its deadline plus twice the clock window is forgotten (no beat of it could pass the window),
    /// and a beat after that is a new join.
    @Test func goneNodesAreForgottenOnceNoBeatOfTheirsCouldPass() {
        var t = Timeline(maxClockSkew: .seconds(1))
        t.beat("n2", 1, at: 0)
        t.beat("n3", 1, at: 0)
        t.beat("n3", 2, at: 10, leaving: true)
        _ = t.tick(at: 350)
        #expect(t.machine.members.count == 2)
        _ = t.tick(at: 2_349)
        #expect(t.machine.members["n2"] != nil)
        _ = t.tick(at: 2_360)
        #expect(t.machine.members.isEmpty)
        #expect(t.beat("n2", 1, at: 2_400, sentAt: 0) == .failure(.clockSkew))
    }

    @Test func codecRejectionsAreCountedWithTheOthers() {
        var t = Timeline()
        t.machine.count(.unauthenticated)
        t.machine.count(.unauthenticated)
        t.beat("n2", 1, at: 0)
        t.beat("n2", 1, at: 1)
        #expect(t.machine.rejections == [.unauthenticated: 2, .replayed: 1])
    }
}
