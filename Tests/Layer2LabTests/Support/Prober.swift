import Foundation
import LabKit
import LBKernel

/// The client's UDP prober (LabScripts.prober) running in the client's namespace: every `interval` one datagram to
/// each VIP; the echo server that answers names its node.
final class Prober: Sendable {
    /// The prober's process; its log is the event stream.
    let process: LabProcess

    private init(process: LabProcess) { self.process = process }

    /// Starts probing the VIPs from `host` every `interval` (forever, or `count` rounds then one more second for
    /// late replies) and waits until the prober runs.
    static func start(_ lab: Layer2Lab, from host: LabHost, interval: Duration = .milliseconds(10), count: Int = 0,
                      name: String = "prober") async throws -> Prober {
        let milliseconds = Double(interval.components.attoseconds) / 1e15 + Double(interval.components.seconds) * 1e3
        let process = try lab.spawn(name, [Tools.python, lab.file("prober.py").path, "\(milliseconds)",
                                           "\(Layer2Lab.echoPort)", "\(count)", "\(Layer2Lab.vip4)",
                                           "\(Layer2Lab.vip6)"], in: host)
        try await process.waitForLog("the prober's start", within: .seconds(20)) { $0.hasPrefix(#"{"e":"ready""#) }
        return Prober(process: process)
    }

    /// Everything the prober recorded so far.
    func timeline() -> ProbeTimeline { ProbeTimeline(log: process.log) }

    /// Waits (bounded) until `done` holds for the timeline, and returns that timeline.
    @discardableResult
    func wait(for what: String, within limit: Duration, until done: @escaping (ProbeTimeline) -> Bool) async throws
        -> ProbeTimeline {
        try await poll(what, within: limit, every: .milliseconds(20), abortIf: { try process.requireRunning() },
                       observe: { timeline() }, until: done, describe: { $0.summary })
    }

    /// Waits (bounded) until it exits by itself (a prober started with a count) and returns what it recorded.
    func finish(within limit: Duration = .seconds(30)) async throws -> ProbeTimeline {
        try await process.waitForExit(within: limit)
        return timeline()
    }

    /// Stops it and returns what it recorded.
    func stop() async -> ProbeTimeline {
        await process.stop(SIGKILL)
        return timeline()
    }
}

/// One line of the prober's output.
struct ProbeEvent: Decodable, Sendable {
    /// `s` sent, `r` reply, `x` error, `ready`.
    var e: String
    /// 4 or 6.
    var f: Int?
    /// The probe's sequence number (per family).
    var q: Int?
    /// CLOCK_MONOTONIC nanoseconds of the event.
    var t: UInt64
    /// A reply's node.
    var n: String?
    /// An error's errno name.
    var m: String?
}

/// What the prober saw, and the figures of a failover drawn from it (l2-baseline.md §4c: takeover, outage, lost).
struct ProbeTimeline: Sendable {
    /// Every event in order.
    var events: [ProbeEvent]

    /// Parses the prober's log (a partly written last line is left out).
    init(log: String) {
        let decoder = JSONDecoder()
        events = log.split(separator: "\n").compactMap { try? decoder.decode(ProbeEvent.self, from: Data($0.utf8)) }
    }

    /// The replies in `family` (4 or 6).
    func replies(_ family: Int) -> [ProbeEvent] { events.filter { $0.e == "r" && $0.f == family } }

    /// The probes sent in `family`.
    func sent(_ family: Int) -> [ProbeEvent] { events.filter { $0.e == "s" && $0.f == family } }

    /// The first reply in `family` from `node` at or after `time`.
    func firstReply(_ family: Int, from node: String, after time: UInt64) -> ProbeEvent? {
        replies(family).first { $0.n == node && $0.t >= time }
    }

    /// The last reply in `family` from `node`.
    func lastReply(_ family: Int, from node: String) -> ProbeEvent? { replies(family).last { $0.n == node } }

    /// True when the last `count` replies in both families came from `node`.
    func steady(on node: String, count: Int) -> Bool {
        [4, 6].allSatisfy { family in
            let last = replies(family).suffix(count)
            return last.count == count && last.allSatisfy { $0.n == node }
        }
    }

    /// The sequence numbers of probes in `family` sent in `from..<to` that got no reply.
    func unanswered(_ family: Int, sentFrom from: UInt64, to: UInt64) -> [Int] {
        let answered = Set(replies(family).compactMap(\.q))
        return sent(family).filter { $0.t >= from && $0.t < to }.compactMap(\.q).filter { !answered.contains($0) }
    }

    /// The nodes that answered in `family`, in order of first answer.
    func nodes(_ family: Int) -> [String] {
        var seen: [String] = []
        for reply in replies(family) where !seen.contains(reply.n ?? "?") { seen.append(reply.n ?? "?") }
        return seen
    }

    /// Counts, for wait messages: `v4: 120 sent, 118 replies (n3 100, n1 18); v6: …`.
    var summary: String {
        [4, 6].map { family in
            let byNode = Dictionary(grouping: replies(family), by: { $0.n ?? "?" }).mapValues(\.count)
            let errors = events.filter { $0.e == "x" && $0.f == family }.count
            return "v\(family): \(sent(family).count) sent, \(replies(family).count) replies ("
                + byNode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
                + (errors > 0 ? ", \(errors) errors" : "")
        }.joined(separator: "; ")
    }
}

/// The figures of one family's failover from `old` to `new` after a failure injected at `injected`.
struct FailoverFigures: Sendable, CustomStringConvertible {
    /// 4 or 6.
    var family: Int
    /// First reply from the new owner − injection (the failover time).
    var takeover: UInt64
    /// First reply from the new owner − last reply from the old one before it (the client's outage).
    var outage: UInt64
    /// How long after the injection the old owner still answered (its echo server, while the client still sent to
    /// it), or nil when it answered nothing after it.
    var oldKeptServing: UInt64?
    /// Probes sent between the injection and the takeover that got no reply.
    var lost: Int

    /// Reads the figures from `timeline`; nil until the new owner has answered.
    init?(_ timeline: ProbeTimeline, family: Int, old: String, new: String, injected: UInt64) {
        guard let first = timeline.firstReply(family, from: new, after: injected) else { return nil }
        self.family = family
        takeover = first.t - injected
        let lastOld = timeline.replies(family).last { $0.n == old && $0.t < first.t }
        outage = first.t - (lastOld?.t ?? injected)
        oldKeptServing = lastOld.flatMap { $0.t > injected ? $0.t - injected : nil }
        lost = timeline.unanswered(family, sentFrom: injected, to: first.t).count
    }

    /// `IPv4: takeover 412.3 ms, outage 398.0 ms, old kept serving 0 ms, 39 probes lost`.
    var description: String {
        "IPv\(family): takeover \(milliseconds(takeover)), outage \(milliseconds(outage)), old owner answered "
            + (oldKeptServing.map { "until \(milliseconds($0)) after" } ?? "nothing after") + " the failure, "
            + "\(lost) probes lost"
    }
}
