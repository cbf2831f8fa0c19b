// LeaseElectionStateMachineTests: client-go's leader election rules step by step, without a server or real timers;
// and the Lease object's JSON (MicroTime, fields kept from the object as read).
import Foundation
@testable import KubeSourcePlugin
import Testing

typealias LeaseMachine = LeaseElectionStateMachine

/// The monotonic instant of step time 0 in every scenario.
private let origin = ContinuousClock.now
/// The wall-clock time of step time 0 (the machine writes wall-clock times into the Lease).
private let wallOrigin = Date(timeIntervalSince1970: 1_795_000_000)

private let electionConfiguration = LeaseMachine.Configuration(
    namespace: "lbd-system", name: "lbd-allocator", identity: "a", leaseDuration: .seconds(15),
    renewDeadline: .seconds(10), retryPeriod: .seconds(2))

/// A Lease as the server would return it; times are milliseconds after the wall-clock origin.
private func lease(_ holder: String, rv: String, duration: Int? = 15, acquire: Int64? = 0, renew: Int64? = 0,
                   transitions: Int? = 0) -> KubeLease {
    func time(_ ms: Int64?) -> MicroTime? {
        ms.map { MicroTime(microseconds: MicroTime(wallOrigin).microseconds + $0 * 1000) }
    }
    return KubeLease(metadata: ObjectMeta(name: "lbd-allocator", namespace: "lbd-system", resourceVersion: rv),
                     spec: .init(holderIdentity: holder, leaseDurationSeconds: duration, acquireTime: time(acquire),
                                 renewTime: time(renew), leaseTransitions: transitions))
}

/// One step: an event at a time (milliseconds after the start) and the actions expected, summarised.
struct LeaseStep: Sendable {
    var at: Int64
    var event: LeaseMachine.Event
    var expect: [String]

    init(_ at: Int64, _ event: LeaseMachine.Event, _ expect: [String]) {
        self.at = at
        self.event = event
        self.expect = expect
    }
}

struct LeaseScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var steps: [LeaseStep]
    var testDescription: String { name }
}

private func since(_ instant: ContinuousClock.Instant) -> Int64 { milliseconds(instant - origin) }

private func wallMilliseconds(_ time: MicroTime?) -> String {
    time.map { String(($0.microseconds - MicroTime(wallOrigin).microseconds) / 1000) } ?? "-"
}

private func fields(_ lease: KubeLease) -> String {
    let spec = lease.spec
    return "holder=\(spec.holderIdentity ?? "-") dur=\(spec.leaseDurationSeconds.map(String.init) ?? "-") "
        + "transitions=\(spec.leaseTransitions.map(String.init) ?? "-") acquire=\(wallMilliseconds(spec.acquireTime)) "
        + "renew=\(wallMilliseconds(spec.renewTime))"
}

/// `get ≤10000`, `create holder=a dur=15 transitions=0 acquire=5 renew=5 ≤10005`, `update rv=3 … ≤25005`,
/// `leader`, `stop: reason`, `leaderIs b`, `wait 2005`, `finish` (times in milliseconds after the start).
private func leaseSummary(_ action: LeaseMachine.Action) -> String {
    switch action {
    case .get(let deadline): "get ≤\(since(deadline))"
    case .create(let lease, let deadline): "create \(fields(lease)) ≤\(since(deadline))"
    case .update(let lease, let version, let deadline):
        "update rv=\(version)\(lease.metadata.resourceVersion == version ? "" : " (metadata rv differs)") "
            + "\(fields(lease)) ≤\(since(deadline))"
    case .becameLeader: "leader"
    case .stoppedLeading(let reason): "stop: \(reason)"
    case .leaderIs(let holder): "leaderIs \(holder)"
    case .wait(let until): "wait \(since(until))"
    case .finish: "finish"
    }
}

/// Acquiring a missing Lease at 0 ms: the first three steps of several scenarios (leads until 10000).
private let acquireOnNotFound: [LeaseStep] = [
    LeaseStep(0, .tick, ["get ≤10000"]),
    LeaseStep(5, .leaseNotFound, ["create holder=a dur=15 transitions=0 acquire=5 renew=5 ≤10005"]),
    LeaseStep(10, .wrote(lease("a", rv: "2", acquire: 5, renew: 5)), ["leader", "wait 2010"]),
]

/// Following b's Lease, first seen at 5 ms (valid until 15005 unless it changes).
private let followB: [LeaseStep] = [
    LeaseStep(0, .tick, ["get ≤10000"]),
    LeaseStep(5, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)), ["leaderIs b", "wait 2005"]),
]

private let notRenewed = "the Lease was not renewed within 10.0 seconds"

let leaseScenarios: [LeaseScenario] = [
    LeaseScenario(name: "a missing Lease is created with this lbd as holder, which then leads",
                  steps: acquireOnNotFound),
    LeaseScenario(name: "a foreign Lease seen changing less than its duration ago is followed", steps: followB + [
        LeaseStep(2005, .tick, ["get ≤12005"]),
        LeaseStep(2010, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)), ["wait 4010"]),
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15004, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)), ["wait 17004"]),
    ]),
    LeaseScenario(name: "an expired foreign Lease is taken over: new acquireTime, one more transition", steps: followB + [
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15005, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)),
                  ["update rv=3 holder=a dur=15 transitions=3 acquire=15005 renew=15005 ≤25005"]),
        LeaseStep(15010, .wrote(lease("a", rv: "4", acquire: 15005, renew: 15005, transitions: 3)),
                  ["leader", "wait 17010"]),
    ]),
    LeaseScenario(name: "a holder that takes the Lease back after this lbd held it is reported again",
                  steps: followB + [
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15005, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)),
                  ["update rv=3 holder=a dur=15 transitions=3 acquire=15005 renew=15005 ≤25005"]),
        LeaseStep(15010, .wrote(lease("a", rv: "4", acquire: 15005, renew: 15005, transitions: 3)),
                  ["leader", "wait 17010"]),
        LeaseStep(17010, .tick, ["get ≤25000"]),
        LeaseStep(17015, .gotLease(lease("b", rv: "9", acquire: 17012, renew: 17012, transitions: 4)),
                  ["stop: the Lease is held by b", "leaderIs b", "wait 19015"]),
    ]),
    LeaseScenario(name: "a leader renews its own Lease: same acquireTime and transitions, new renewTime",
                  steps: acquireOnNotFound + [
        LeaseStep(2010, .tick, ["get ≤10000"]),
        LeaseStep(2015, .gotLease(lease("a", rv: "2", acquire: 5, renew: 5)),
                  ["update rv=2 holder=a dur=15 transitions=0 acquire=5 renew=2015 ≤10000"]),
        LeaseStep(2020, .wrote(lease("a", rv: "3", acquire: 5, renew: 2015)), ["wait 4020"]),
        // Renewed by the attempt that started at 2010: leads until 12010 now.
        LeaseStep(4020, .tick, ["get ≤12010"]),
    ]),
    LeaseScenario(name: "a 409 on the takeover is retried the next period; the winner is then followed",
                  steps: followB + [
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15005, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)),
                  ["update rv=3 holder=a dur=15 transitions=3 acquire=15005 renew=15005 ≤25005"]),
        LeaseStep(15010, .writeConflict("409 Conflict"), ["wait 17010"]),
        LeaseStep(17010, .tick, ["get ≤27010"]),
        LeaseStep(17015, .gotLease(lease("c", rv: "4", acquire: 15006, renew: 15006, transitions: 3)),
                  ["leaderIs c", "wait 19015"]),
    ]),
    LeaseScenario(name: "a 409 on creation (another lbd created it first) is retried, then that one is followed",
                  steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .leaseNotFound, ["create holder=a dur=15 transitions=0 acquire=5 renew=5 ≤10005"]),
        LeaseStep(10, .writeConflict("409 AlreadyExists"), ["wait 2010"]),
        LeaseStep(2010, .tick, ["get ≤12010"]),
        LeaseStep(2015, .gotLease(lease("b", rv: "2", acquire: 4, renew: 4)), ["leaderIs b", "wait 4015"]),
    ]),
    LeaseScenario(name: "a leader whose renewals fail steps down at its renew deadline, before the Lease expires",
                  steps: acquireOnNotFound + [
        LeaseStep(2010, .tick, ["get ≤10000"]),
        LeaseStep(2020, .getFailed("500 InternalError"), ["wait 4020"]),
        LeaseStep(4020, .tick, ["get ≤10000"]),
        LeaseStep(4025, .gotLease(lease("a", rv: "2", acquire: 5, renew: 5)),
                  ["update rv=2 holder=a dur=15 transitions=0 acquire=5 renew=4025 ≤10000"]),
        LeaseStep(4030, .writeFailed("503 ServiceUnavailable"), ["wait 6030"]),
        LeaseStep(6030, .tick, ["get ≤10000"]),
        LeaseStep(9000, .getFailed("500 InternalError"), ["wait 10000"]),
        // The next attempt comes no later than the deadline, which ends the role (followers wait until ≥ 15010).
        LeaseStep(10000, .tick, ["stop: \(notRenewed) (could not get the Lease: 500 InternalError)",
                                 "get ≤20000"]),
    ]),
    LeaseScenario(name: "a request that times out at the deadline ends the role at once", steps: acquireOnNotFound + [
        LeaseStep(2010, .tick, ["get ≤10000"]),
        LeaseStep(10000, .getFailed("no answer"),
                  ["stop: \(notRenewed) (could not get the Lease: no answer)", "wait 12000"]),
        LeaseStep(12000, .tick, ["get ≤22000"]),
        // Nobody took it meanwhile: the same identity renews and leads again, without a new transition.
        LeaseStep(12005, .gotLease(lease("a", rv: "2", acquire: 5, renew: 5)),
                  ["update rv=2 holder=a dur=15 transitions=0 acquire=5 renew=12005 ≤22005"]),
        LeaseStep(12010, .wrote(lease("a", rv: "3", acquire: 5, renew: 12005)), ["leader", "wait 14010"]),
    ]),
    LeaseScenario(name: "a leader that finds another holder stops leading and follows", steps: acquireOnNotFound + [
        LeaseStep(2010, .tick, ["get ≤10000"]),
        LeaseStep(2015, .gotLease(lease("c", rv: "9", acquire: 2012, renew: 2012, transitions: 1)),
                  ["stop: the Lease is held by c", "leaderIs c", "wait 4015"]),
    ]),
    LeaseScenario(name: "a leader whose Lease was deleted stops leading and creates it again",
                  steps: acquireOnNotFound + [
        LeaseStep(2010, .tick, ["get ≤10000"]),
        LeaseStep(2015, .leaseNotFound, ["stop: the Lease was deleted",
                                         "create holder=a dur=15 transitions=0 acquire=2015 renew=2015 ≤12015"]),
        LeaseStep(2020, .wrote(lease("a", rv: "5", acquire: 2015, renew: 2015)), ["leader", "wait 4020"]),
    ]),
    LeaseScenario(name: "a released Lease (holder \"\") is taken at once", steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .gotLease(lease("", rv: "7", duration: 1, acquire: 3, renew: 3, transitions: 4)),
                  ["leaderIs ", "update rv=7 holder=a dur=15 transitions=5 acquire=5 renew=5 ≤10005"]),
        LeaseStep(10, .wrote(lease("a", rv: "8", acquire: 5, renew: 5, transitions: 5)), ["leader", "wait 2010"]),
    ]),
    LeaseScenario(name: "a Lease that names this identity (a restart) is renewed: acquireTime and transitions kept",
                  steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .gotLease(lease("a", rv: "7", acquire: -50_000, renew: -1000, transitions: 3)),
                  ["update rv=7 holder=a dur=15 transitions=3 acquire=-50000 renew=5 ≤10005"]),
        LeaseStep(10, .wrote(lease("a", rv: "8", acquire: -50_000, renew: 5, transitions: 3)), ["leader", "wait 2010"]),
    ]),
    LeaseScenario(name: "shutdown: the leader stops leading, then releases (holder \"\", 1 s, transitions kept)",
                  steps: acquireOnNotFound + [
        LeaseStep(500, .shutdown, ["stop: shutting down",
                                   "update rv=2 holder= dur=1 transitions=0 acquire=500 renew=500 ≤10500"]),
        LeaseStep(510, .wrote(lease("", rv: "3", duration: 1, acquire: 500, renew: 500)), ["finish"]),
        LeaseStep(600, .tick, []),
    ]),
    LeaseScenario(name: "shutdown during a renewal reads the Lease first (the renewal may have landed), then releases",
                  steps: acquireOnNotFound + [
        LeaseStep(2010, .tick, ["get ≤10000"]),
        LeaseStep(2015, .gotLease(lease("a", rv: "2", acquire: 5, renew: 5)),
                  ["update rv=2 holder=a dur=15 transitions=0 acquire=5 renew=2015 ≤10000"]),
        LeaseStep(2016, .shutdown, ["stop: shutting down", "get ≤12016"]),
        LeaseStep(2018, .gotLease(lease("a", rv: "3", acquire: 5, renew: 2015)),
                  ["update rv=3 holder= dur=1 transitions=0 acquire=2018 renew=2018 ≤12016"]),
        // Read once already: a conflict now means someone else wrote it; it is theirs.
        LeaseStep(2020, .writeConflict("409 Conflict"), ["finish"]),
    ]),
    LeaseScenario(name: "shutdown during a takeover reads the Lease and releases it if the takeover landed",
                  steps: followB + [
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15005, .gotLease(lease("b", rv: "3", acquire: -100_000, transitions: 2)),
                  ["update rv=3 holder=a dur=15 transitions=3 acquire=15005 renew=15005 ≤25005"]),
        LeaseStep(15006, .shutdown, ["get ≤25006"]),
        LeaseStep(15008, .gotLease(lease("a", rv: "4", acquire: 15005, renew: 15005, transitions: 3)),
                  ["update rv=4 holder= dur=1 transitions=3 acquire=15008 renew=15008 ≤25006"]),
        LeaseStep(15010, .wrote(lease("", rv: "5", duration: 1, acquire: 15008, renew: 15008, transitions: 3)),
                  ["finish"]),
    ]),
    LeaseScenario(name: "a release that loses a race (409) reads the Lease once and releases the version read",
                  steps: acquireOnNotFound + [
        LeaseStep(500, .shutdown, ["stop: shutting down",
                                   "update rv=2 holder= dur=1 transitions=0 acquire=500 renew=500 ≤10500"]),
        LeaseStep(505, .writeConflict("409 Conflict"), ["get ≤10500"]),
        LeaseStep(510, .gotLease(lease("a", rv: "6", acquire: 5, renew: 400)),
                  ["update rv=6 holder= dur=1 transitions=0 acquire=510 renew=510 ≤10500"]),
        LeaseStep(515, .writeFailed("503 ServiceUnavailable"), ["finish"]),
    ]),
    LeaseScenario(name: "a release whose re-read shows another holder finishes without writing",
                  steps: acquireOnNotFound + [
        LeaseStep(500, .shutdown, ["stop: shutting down",
                                   "update rv=2 holder= dur=1 transitions=0 acquire=500 renew=500 ≤10500"]),
        LeaseStep(505, .writeConflict("409 Conflict"), ["get ≤10500"]),
        LeaseStep(510, .gotLease(lease("c", rv: "6", acquire: 504, renew: 504, transitions: 1)), ["finish"]),
    ]),
    LeaseScenario(name: "shutdown while following finishes without writing", steps: followB + [
        LeaseStep(100, .shutdown, ["finish"]),
    ]),
    LeaseScenario(name: "skew: a foreign renewTime a day in the future still expires leaseDuration after it was seen",
                  steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .gotLease(lease("b", rv: "3", acquire: 86_400_000, renew: 86_400_000)),
                  ["leaderIs b", "wait 2005"]),
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15005, .gotLease(lease("b", rv: "3", acquire: 86_400_000, renew: 86_400_000)),
                  ["update rv=3 holder=a dur=15 transitions=1 acquire=15005 renew=15005 ≤25005"]),
    ]),
    LeaseScenario(name: "skew: a foreign renewTime a day in the past is valid for leaseDuration after it was seen",
                  steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .gotLease(lease("b", rv: "3", acquire: -86_400_000, renew: -86_400_000)),
                  ["leaderIs b", "wait 2005"]),
        LeaseStep(15000, .tick, ["get ≤25000"]),
        LeaseStep(15004, .gotLease(lease("b", rv: "3", acquire: -86_400_000, renew: -86_400_000)),
                  ["wait 17004"]),
        LeaseStep(17004, .tick, ["get ≤27004"]),
        LeaseStep(17005, .gotLease(lease("b", rv: "3", acquire: -86_400_000, renew: -86_400_000)),
                  ["update rv=3 holder=a dur=15 transitions=1 acquire=17005 renew=17005 ≤27005"]),
    ]),
    LeaseScenario(name: "a foreign leader that keeps renewing (even with a stale clock) is followed indefinitely",
                  steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .gotLease(lease("b", rv: "3", renew: -600_000)), ["leaderIs b", "wait 2005"]),
        LeaseStep(14000, .tick, ["get ≤24000"]),
        LeaseStep(14005, .gotLease(lease("b", rv: "4", renew: -590_000)), ["wait 16005"]),
        LeaseStep(28000, .tick, ["get ≤38000"]),
        LeaseStep(28005, .gotLease(lease("b", rv: "5", renew: -580_000)), ["wait 30005"]),
        LeaseStep(43000, .tick, ["get ≤53000"]),
        LeaseStep(43004, .gotLease(lease("b", rv: "5", renew: -580_000)), ["wait 45004"]),
    ]),
    LeaseScenario(name: "the foreign holder's own leaseDurationSeconds decides when it expires", steps: [
        LeaseStep(0, .tick, ["get ≤10000"]),
        LeaseStep(5, .gotLease(lease("b", rv: "3", duration: 3)), ["leaderIs b", "wait 2005"]),
        LeaseStep(2005, .tick, ["get ≤12005"]),
        LeaseStep(2010, .gotLease(lease("b", rv: "3", duration: 3)), ["wait 4010"]),
        LeaseStep(4010, .tick, ["get ≤14010"]),
        LeaseStep(4015, .gotLease(lease("b", rv: "3", duration: 3)),
                  ["update rv=3 holder=a dur=15 transitions=1 acquire=4015 renew=4015 ≤14015"]),
    ]),
]

@Suite("Lease election state machine")
struct LeaseElectionStateMachineTests {
    @Test(arguments: leaseScenarios)
    func scenario(_ scenario: LeaseScenario) {
        var machine = LeaseMachine(configuration: electionConfiguration)
        for step in scenario.steps {
            let actions = machine.handle(step.event, now: origin + .milliseconds(step.at),
                                         wallClock: wallOrigin.addingTimeInterval(Double(step.at) / 1000))
            #expect(actions.map(leaseSummary) == step.expect, "at \(step.at) ms, \(step.event)")
        }
    }

    @Test("leadingUntil is the start of the last successful attempt plus renewDeadline; nil when not leading")
    func leadingUntil() {
        var machine = LeaseMachine(configuration: electionConfiguration)
        #expect(machine.leadingUntil == nil && !machine.isLeading)
        for step in acquireOnNotFound {
            _ = machine.handle(step.event, now: origin + .milliseconds(step.at), wallClock: wallOrigin)
        }
        #expect(machine.isLeading && machine.leadingUntil == origin + .seconds(10))
        _ = machine.handle(.shutdown, now: origin + .seconds(1), wallClock: wallOrigin)
        #expect(!machine.isLeading && machine.leadingUntil == nil)
    }

    @Test("every expected event yields exactly one driving action, last")
    func oneDrivingAction() {
        for scenario in leaseScenarios {
            var machine = LeaseMachine(configuration: electionConfiguration)
            for step in scenario.steps {
                let actions = machine.handle(step.event, now: origin + .milliseconds(step.at), wallClock: wallOrigin)
                let driving = actions.filter {
                    switch $0 {
                    case .get, .create, .update, .wait, .finish: true
                    case .becameLeader, .stoppedLeading, .leaderIs: false
                    }
                }
                if machine.isFinished && actions.isEmpty { continue }
                #expect(driving.count == 1 && actions.last == driving.first, "\(scenario.name) at \(step.at) ms")
            }
        }
    }
}

@Suite("Lease object")
struct KubeLeaseTests {
    @Test("MicroTime writes six fractional digits in UTC and reads RFC 3339 as Go does",
          arguments: [
              ("2026-11-29T14:29:17.123456Z", "2026-11-29T14:29:17.123456Z"),
              ("2026-11-29T14:29:17Z", "2026-11-29T14:29:17.000000Z"),
              ("2026-11-29T14:29:17.5Z", "2026-11-29T14:29:17.500000Z"),
              ("2026-11-29T14:29:17.123456789Z", "2026-11-29T14:29:17.123456Z"),
              ("2026-11-29T16:29:17.000001+02:00", "2026-11-29T14:29:17.000001Z"),
              ("2026-03-01T00:30:00.000000-01:00", "2026-03-01T01:30:00.000000Z"),
              ("2024-02-29T23:59:59.999999Z", "2024-02-29T23:59:59.999999Z"),
              ("1969-12-31T23:59:59.500000Z", "1969-12-31T23:59:59.500000Z"),
          ])
    func microTime(_ text: String, _ written: String) throws {
        let time = try #require(MicroTime(text))
        #expect(time.description == written)
        #expect(MicroTime(written) == time)
    }

    @Test("MicroTime matches Foundation's calendar and rejects what is not RFC 3339")
    func microTimeDates() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.25)
        #expect(MicroTime(date).description == date.formatted(.iso8601).replacingOccurrences(of: "Z", with: ".250000Z"))
        #expect(MicroTime(date).date == date)
        for text in ["", "2026-11-29", "2026-11-29T14:29:17", "2026-11-29T14:29:17.Z", "2026-13-01T00:00:00Z",
                     "2026-11-29T14:29:17+0200", "2026-11-29T14:29:17.1Zjunk"] {
            #expect(MicroTime(text) == nil, "\(text)")
        }
    }

    @Test("a Lease read and written back keeps the fields lbd does not know, and replaces the ones it does")
    func roundTrip() throws {
        let json = #"""
        {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
         "metadata":{"name":"lbd-allocator","namespace":"lbd-system","resourceVersion":"42","uid":"u-1",
                     "ownerReferences":[{"kind":"Deployment","name":"x"}],"creationTimestamp":"2026-01-01T00:00:00Z"},
         "spec":{"holderIdentity":"b","leaseDurationSeconds":15,"acquireTime":"2026-11-29T14:00:00.000000Z",
                 "renewTime":"2026-11-29T14:29:17.123456Z","leaseTransitions":2,"strategy":"OldestEmulationVersion"}}
        """#
        var lease = try KubeClient.decode(KubeLease.self, from: Array(json.utf8))
        #expect(lease.metadata.resourceVersion == "42" && lease.spec.holder == "b")
        #expect(lease.spec.renewTime?.description == "2026-11-29T14:29:17.123456Z")
        lease.spec.holderIdentity = "a"
        lease.spec.leaseTransitions = 3
        lease.spec.renewTime = MicroTime("2026-11-29T14:30:00.000001Z")
        let written = try KubeClient.decode(JSONValue.self, from: try KubeClient.encode(lease))
        guard case .object(let object) = written, case .object(let metadata) = object["metadata"],
              case .object(let spec) = object["spec"] else {
            Issue.record("not an object: \(written)")
            return
        }
        #expect(object["kind"] == .string("Lease") && object["apiVersion"] == .string("coordination.k8s.io/v1"))
        #expect(metadata["resourceVersion"] == .string("42") && metadata["uid"] == .string("u-1"))
        #expect(metadata["ownerReferences"] != nil && metadata["creationTimestamp"] != nil)
        #expect(spec["holderIdentity"] == .string("a") && spec["leaseTransitions"] == .integer(3))
        #expect(spec["renewTime"] == .string("2026-11-29T14:30:00.000001Z"))
        #expect(spec["strategy"] == .string("OldestEmulationVersion"))
        #expect(try KubeClient.decode(KubeLease.self, from: try KubeClient.encode(lease)).spec == lease.spec)
    }

    @Test("a new Lease is written with only the fields set, and its path names the namespace")
    func newLease() throws {
        let lease = KubeLease(metadata: ObjectMeta(name: "l", namespace: "ns"),
                              spec: .init(holderIdentity: "a", leaseDurationSeconds: 2, leaseTransitions: 0))
        let text = String(decoding: try KubeClient.encode(lease), as: UTF8.self)
        #expect(!text.contains("resourceVersion") && !text.contains("renewTime") && !text.contains("labels"))
        #expect(KubeLease.path(namespace: "ns", name: "l") == "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l")
    }
}
