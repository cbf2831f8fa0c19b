// InformerStateMachineTests: the informer protocol step by step, without sockets or real timers.
@testable import KubeSourcePlugin
import Testing

/// A small Kubernetes object for the client's tests.
struct Widget: KubeObject, Equatable {
    static let kind = "Widget"
    var metadata: ObjectMeta
    var spec: Spec

    struct Spec: Codable, Equatable, Sendable {
        var size: Int
    }

    init(_ name: String, namespace: String? = "default", size: Int = 1, resourceVersion: String? = nil) {
        metadata = ObjectMeta(name: name, namespace: namespace, resourceVersion: resourceVersion)
        spec = Spec(size: size)
    }
}

typealias Machine = InformerStateMachine<Widget>

/// One step of a scenario: an event at a time (milliseconds after the start) and the actions expected, summarised.
struct Step: Sendable {
    var at: Int
    var event: Machine.Event
    var expect: [String]

    init(_ at: Int, _ event: Machine.Event, _ expect: [String]) {
        self.at = at
        self.event = event
        self.expect = expect
    }
}

struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var options = Machine.Options(backoffBase: .milliseconds(250), backoffMaximum: .seconds(2), jitter: 0,
                                  silenceLimit: .seconds(10), publishInterval: .zero, minimumWatchDuration: .zero)
    var steps: [Step]
    var testDescription: String { name }
}

/// `list`, `watch 10`, `cancel`, `backoff 250ms`, `tick 90ms`, `publish default/a default/b`, `report default/x spec.size`.
func summary(_ action: Machine.Action) -> String {
    switch action {
    case .startList: "list"
    case .startWatch(let version): "watch \(version)"
    case .cancelWatch: "cancel"
    case .backoff(let delay): "backoff \(milliseconds(delay))ms"
    case .scheduleTick(let delay): "tick \(milliseconds(delay))ms"
    case .publish(let objects):
        (["publish"] + objects.keys.sorted().map { "\($0)=\(objects[$0]!.spec.size)" }).joined(separator: " ")
    case .report(let problem):
        "report \(problem.namespace ?? "-")/\(problem.name ?? "-") \(problem.field ?? "-")"
    }
}

func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

func widget(_ name: String, size: Int = 1) -> Widget { Widget(name, size: size) }

func added(_ name: String, size: Int = 1, rv: String) -> Machine.Event {
    .watchEvent(.added(key: "default/\(name)", object: widget(name, size: size), resourceVersion: rv))
}

func modified(_ name: String, size: Int, rv: String) -> Machine.Event {
    .watchEvent(.modified(key: "default/\(name)", object: widget(name, size: size), resourceVersion: rv))
}

func listed(_ names: [String], rv: String, problems: [KubeObjectProblem] = []) -> Machine.Event {
    .listed(items: Dictionary(uniqueKeysWithValues: names.map { ("default/\($0)", widget($0)) }), resourceVersion: rv,
            problems: problems)
}

func status(_ code: Int, _ reason: String, retryAfter: Duration? = nil) -> Machine.Failure {
    .status(KubeError(code: code, reason: reason, message: "m", verb: "WATCH", path: "/w", retryAfter: retryAfter))
}

let badSize = KubeObjectProblem(kind: "Widget", namespace: "default", name: "a", field: "spec.size",
                                message: "expected a number")

let scenarios: [Scenario] = [
    Scenario(name: "list, then watch from the list's version; changes publish the whole set", steps: [
        Step(0, .start, ["list"]),
        Step(1, listed(["a", "b"], rv: "10"), ["publish default/a=1 default/b=1", "watch 10"]),
        Step(2, added("c", rv: "11"), ["publish default/a=1 default/b=1 default/c=1"]),
        Step(3, modified("a", size: 5, rv: "12"), ["publish default/a=5 default/b=1 default/c=1"]),
        Step(4, .watchEvent(.deleted(key: "default/b", resourceVersion: "13")), ["publish default/a=5 default/c=1"]),
        Step(5, .watchEvent(.deleted(key: "default/zz", resourceVersion: "14")), []),
        Step(6, .watchEnded(nil), ["watch 14"]),
    ]),
    Scenario(name: "bookmarks advance the version without a publish", steps: [
        Step(0, .start, ["list"]),
        Step(1, listed(["a"], rv: "10"), ["publish default/a=1", "watch 10"]),
        Step(2, .watchEvent(.bookmark(resourceVersion: "42")), []),
        Step(3, .watchEnded(nil), ["watch 42"]),
    ]),
    Scenario(name: "a dropped stream resumes from the last version at once, then backs off when it keeps dropping",
             steps: [
        Step(0, .start, ["list"]),
        Step(1, listed(["a"], rv: "10"), ["publish default/a=1", "watch 10"]),
        Step(2, added("b", rv: "11"), ["publish default/a=1 default/b=1"]),
        Step(3, .watchEnded(.transport("connection reset")), ["watch 11"]),
        Step(4, .watchEnded(.transport("connection reset")), ["backoff 500ms"]),
        Step(504, .backoffElapsed, ["watch 11"]),
        Step(505, .watchEnded(.transport("connection reset")), ["backoff 1000ms"]),
        Step(1505, .backoffElapsed, ["watch 11"]),
        Step(1506, .watchEvent(.bookmark(resourceVersion: "12")), []),
        Step(1507, .watchEnded(.transport("connection reset")), ["watch 12"]),
    ]),
    Scenario(name: "410 Gone relists, as an ERROR event or as the watch's answer", steps: [
        Step(0, .start, ["list"]),
        Step(1, listed(["a", "b"], rv: "10"), ["publish default/a=1 default/b=1", "watch 10"]),
        Step(2, .watchEvent(.error(code: 410, reason: "Expired", message: "too old resource version")),
             ["cancel", "list"]),
        Step(3, added("stale", rv: "99"), []),
        Step(4, listed(["a"], rv: "20"), ["publish default/a=1", "watch 20"]),
        Step(5, .watchEnded(status(410, "Gone")), ["list"]),
        Step(6, listed(["a", "c"], rv: "30"), ["publish default/a=1 default/c=1", "watch 30"]),
    ]),
    Scenario(name: "429 with Retry-After waits what the server asked; 5xx back off exponentially, capped", steps: [
        Step(0, .start, ["list"]),
        Step(1, .listFailed(status(429, "TooManyRequests", retryAfter: .seconds(3))), ["backoff 3000ms"]),
        Step(3001, .backoffElapsed, ["list"]),
        Step(3002, .listFailed(status(503, "ServiceUnavailable")), ["backoff 500ms"]),
        Step(3502, .backoffElapsed, ["list"]),
        Step(3503, .listFailed(status(500, "InternalError")), ["backoff 1000ms"]),
        Step(4503, .backoffElapsed, ["list"]),
        Step(4504, .listFailed(.transport("refused")), ["backoff 2000ms"]),
        Step(6504, .backoffElapsed, ["list"]),
        Step(6505, .listFailed(.transport("refused")), ["backoff 2000ms"]),
        Step(8505, .backoffElapsed, ["list"]),
        Step(8506, listed([], rv: "5"), ["publish", "watch 5"]),
        Step(8507, .watchEnded(status(429, "TooManyRequests", retryAfter: .seconds(1))), ["backoff 1000ms"]),
        Step(9507, .backoffElapsed, ["watch 5"]),
        Step(9508, .watchEvent(.error(code: 500, reason: "InternalError", message: "etcd")),
             ["cancel", "backoff 500ms"]),
        Step(10008, .backoffElapsed, ["watch 5"]),
    ]),
    Scenario(name: "a silent watch is cancelled and resumed from the last version", steps: [
        Step(0, .start, ["list"]),
        Step(1, listed(["a"], rv: "10"), ["publish default/a=1", "watch 10"]),
        Step(5_000, .watchEvent(.bookmark(resourceVersion: "11")), []),
        Step(14_000, .tick, []),
        Step(15_001, .tick, ["cancel", "watch 11"]),
        Step(20_000, .tick, []),
        Step(25_002, .tick, ["cancel", "watch 11"]),
    ]),
    Scenario(name: "objects that do not decode are reported and skipped, never kept in an old version", steps: [
        Step(0, .start, ["list"]),
        Step(1, listed(["b"], rv: "10", problems: [badSize]),
             ["report default/a spec.size", "publish default/b=1", "watch 10"]),
        Step(2, added("a", rv: "11"), ["publish default/a=1 default/b=1"]),
        Step(3, .watchEvent(.undecodable(type: "MODIFIED", key: "default/a", resourceVersion: "12", problem: badSize)),
             ["report default/a spec.size", "publish default/b=1"]),
        Step(4, .watchEvent(.undecodable(type: "ADDED", key: nil, resourceVersion: nil, problem: badSize)),
             ["report default/a spec.size"]),
        Step(5, .watchEnded(nil), ["watch 12"]),
    ]),
    Scenario(name: "a watch that ends as soon as it starts backs off",
             options: Machine.Options(backoffBase: .milliseconds(100), jitter: 0, silenceLimit: .seconds(10),
                                      publishInterval: .zero, minimumWatchDuration: .seconds(1)),
             steps: [
        Step(0, .start, ["list"]),
        Step(1, listed([], rv: "7"), ["publish", "watch 7"]),
        Step(2, .watchEnded(nil), ["backoff 100ms"]),
        Step(102, .backoffElapsed, ["watch 7"]),
        Step(2_000, .watchEnded(nil), ["watch 7"]),
    ]),
    Scenario(name: "changes within the publish interval are coalesced into one trailing publish",
             options: Machine.Options(jitter: 0, silenceLimit: .seconds(10), publishInterval: .milliseconds(100)),
             steps: [
        Step(0, .start, ["list"]),
        Step(0, listed([], rv: "1"), ["publish", "watch 1"]),
        Step(10, added("a", rv: "2"), ["tick 90ms"]),
        Step(20, added("b", rv: "3"), []),
        Step(50, .tick, []),
        Step(100, .tick, ["publish default/a=1 default/b=1"]),
        Step(300, added("c", rv: "4"), ["publish default/a=1 default/b=1 default/c=1"]),
    ]),
]

@Suite("InformerStateMachine")
struct InformerStateMachineTests {
    @Test("scenarios", arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        var machine = Machine(options: scenario.options, seed: 1)
        let start = ContinuousClock.now
        for (index, step) in scenario.steps.enumerated() {
            let actions = machine.handle(step.event, now: start + .milliseconds(step.at))
            #expect(actions.map(summary) == step.expect, "step \(index) at \(step.at) ms")
        }
    }

    @Test("jitter keeps each delay within its share of the computed delay, and varies it", arguments: [UInt64(1), 2, 3])
    func jitter(seed: UInt64) {
        var machine = Machine(options: .init(backoffBase: .seconds(1), backoffMaximum: .seconds(60), jitter: 0.5),
                              seed: seed)
        let now = ContinuousClock.now
        _ = machine.handle(.start, now: now)
        var delays: [Duration] = []
        for attempt in 0..<6 {
            let failure: Machine.Failure = attempt == 5 ? status(429, "TooManyRequests", retryAfter: .seconds(10))
                                                         : .transport("refused")
            guard case .backoff(let delay) = machine.handle(.listFailed(failure), now: now).first else {
                Issue.record("no back-off")
                return
            }
            let nominal: Duration = attempt == 5 ? .seconds(10) : .seconds(1) * (1 << attempt)
            if attempt == 5 {
                #expect(delay >= nominal && delay <= nominal * 1.5, "Retry-After is a minimum: \(delay)")
            } else {
                #expect(delay > nominal * 0.5 && delay <= nominal, "attempt \(attempt): \(delay)")
            }
            delays.append(delay)
            _ = machine.handle(.backoffElapsed, now: now)
        }
        let fractions = delays.prefix(5).enumerated().map { $1 / (Duration.seconds(1) * (1 << $0)) }
        #expect(Set(fractions).count > 1, "jitter varies: \(fractions)")
    }
}
