import LBKernel
import Testing
@testable import Layer2Plugin

/// The beat schedule and the rate limit of the logs: the shell's pure rules.
@Suite("Membership schedule and log limits")
struct MembershipScheduleTests {
    /// Each deadline follows the previous deadline, not the (late) instant the timer fired: 1,000 beats each handled
    /// 3 ms late still end at 1,000 intervals, where scheduling from "now" would have drifted by 3 s.
    @Test func beatsDoNotDrift() {
        let start = ContinuousClock.now
        var deadline = start
        for _ in 0..<1_000 {
            let firedAt = deadline + .milliseconds(3)
            deadline = Membership.nextBeat(after: deadline, now: firedAt, interval: .milliseconds(100), factor: 1)
        }
        #expect(deadline - start == .seconds(100))
    }

    /// With the jitter factor drawn in 0.9...1.1, every gap stays within ±10 % and the mean stays near the interval.
    @Test func jitterStaysWithinTenPercent() {
        var generator = SplitMix64(seed: 42)
        let start = ContinuousClock.now
        var deadline = start
        for _ in 0..<10_000 {
            let next = Membership.nextBeat(after: deadline, now: deadline, interval: .milliseconds(100),
                                           factor: Double.random(in: Membership.jitter, using: &generator))
            #expect(next - deadline >= .milliseconds(90) && next - deadline <= .milliseconds(110))
            deadline = next
        }
        let mean = (deadline - start) / 10_000
        #expect(mean > .microseconds(99_000) && mean < .microseconds(101_000), "mean gap \(mean)")
    }

    /// After a stall longer than an interval, one beat goes at once, then the schedule continues from it.
    @Test func aStallGivesOneBeatAtOnceNotABurst() {
        let start = ContinuousClock.now
        let late = start + .seconds(2)
        let next = Membership.nextBeat(after: start, now: late, interval: .milliseconds(100), factor: 1)
        #expect(next == late)
        #expect(Membership.nextBeat(after: next, now: late, interval: .milliseconds(100), factor: 1)
                == late + .milliseconds(100))
    }

    @Test func rejectionsAreLoggedOncePerPeriodPerReasonAndSource() {
        var limiter = LogLimiter<Membership.RejectionKey>()
        let start = ContinuousClock.now
        let a = Membership.RejectionKey(reason: .unauthenticated, source: "10.0.0.1")
        let b = Membership.RejectionKey(reason: .unauthenticated, source: "10.0.0.2")
        let c = Membership.RejectionKey(reason: .clockSkew, source: "10.0.0.1")
        #expect(limiter.shouldLog(a, at: start) == 0)
        #expect(limiter.shouldLog(a, at: start + .seconds(1)) == nil)
        #expect(limiter.shouldLog(a, at: start + .seconds(9)) == nil)
        #expect(limiter.shouldLog(b, at: start + .seconds(9)) == 0, "another source")
        #expect(limiter.shouldLog(c, at: start + .seconds(9)) == 0, "another reason")
        #expect(limiter.shouldLog(a, at: start + .seconds(10)) == 2, "two were not logged since")
        #expect(limiter.shouldLog(a, at: start + .seconds(11)) == nil)
    }

    /// A flood from many sources is bounded: beyond the capacity, new keys wait until old ones expire.
    @Test func theLimiterRemembersABoundedNumberOfKeys() {
        var limiter = LogLimiter<String>()
        limiter.capacity = 4
        let start = ContinuousClock.now
        for i in 0..<4 { #expect(limiter.shouldLog("s\(i)", at: start) == 0) }
        #expect(limiter.shouldLog("s4", at: start + .seconds(1)) == nil)
        #expect(limiter.shouldLog("s4", at: start + .seconds(10)) == 0, "the old keys expired")
    }
}
