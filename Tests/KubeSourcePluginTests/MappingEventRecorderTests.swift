import Foundation
import KubeSourcePlugin
import Testing

@Suite struct MappingEventRecorderTests {
    let web = EventObjectReference(kind: "Service", namespace: "default", name: "web", uid: "uid-web")
    let db = EventObjectReference(kind: "Service", namespace: "default", name: "db")
    let failed = EventDescription(.warning, "AllocationFailed", "Failed to allocate IP for \"default/web\": pool full")
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func recorder(burst: Int = 10, perMinute: Double = 10) -> EventRecorder {
        EventRecorder(configuration: .init(burst: burst, perMinute: perMinute, host: "node-a"))
    }

    @Test func theFirstEventIsCreatedWithMetalLBsShape() throws {
        var recorder = recorder()
        guard case .create(let event) = recorder.record(failed, about: web, now: start) else {
            Issue.record("not created")
            return
        }
        #expect(event.metadata.namespace == "default")
        #expect(event.metadata.name.hasPrefix("web."))
        #expect(event.involvedObject == web)
        #expect(event.type == "Warning")
        #expect(event.reason == "AllocationFailed")
        #expect(event.count == 1)
        #expect(event.firstTimestamp == "2027-01-15T08:00:00Z")
        #expect(event.lastTimestamp == event.firstTimestamp)
        #expect(event.source.component == "lbd" && event.source.host == "node-a")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? [String: Any]
        #expect(json?["kind"] as? String == "Event")
        #expect((json?["involvedObject"] as? [String: Any])?["uid"] as? String == "uid-web")
    }

    @Test func theSameEventWithinTenMinutesIncrementsTheCount() throws {
        var recorder = recorder()
        guard case .create(let event) = recorder.record(failed, about: web, now: start) else { Issue.record("not created"); return }
        let second = recorder.record(failed, about: web, now: start + 60)
        #expect(second == .patch(namespace: "default", name: event.metadata.name,
                                 body: #"{"count":2,"lastTimestamp":"2027-01-15T08:01:00Z"}"#))
        // Within ten minutes of the last occurrence, still the same Event.
        guard case .patch(_, let name, let body) = recorder.record(failed, about: web, now: start + 60 + 599) else {
            Issue.record("not patched")
            return
        }
        #expect(name == event.metadata.name)
        #expect(body.hasPrefix(#"{"count":3,"#))
        // More than ten minutes later, a new Event.
        guard case .create(let later) = recorder.record(failed, about: web, now: start + 60 + 599 + 601) else {
            Issue.record("not created")
            return
        }
        #expect(later.count == 1)
        #expect(later.metadata.name != event.metadata.name)
    }

    @Test(arguments: [
        EventDescription(.warning, "AllocationFailed", "another message"),
        EventDescription(.warning, "LoadBalancerFailed", "Failed to allocate IP for \"default/web\": pool full"),
        EventDescription(.normal, "AllocationFailed", "Failed to allocate IP for \"default/web\": pool full"),
    ])
    func aDifferentReasonMessageOrTypeIsANewEvent(other: EventDescription) {
        var recorder = recorder()
        _ = recorder.record(failed, about: web, now: start)
        guard case .create = recorder.record(other, about: web, now: start + 1) else { Issue.record("not created"); return }
        guard case .create = recorder.record(failed, about: db, now: start + 1) else { Issue.record("not created"); return }
    }

    @Test func namesAreUniqueWithinOneInstant() {
        var recorder = recorder()
        var names: Set<String> = []
        for index in 0..<5 {
            if case .create(let event) = recorder.record(EventDescription(.normal, "IPAllocated", "m\(index)"), about: web, now: start) {
                names.insert(event.metadata.name)
            }
        }
        #expect(names.count == 5)
    }

    @Test func aFloodingObjectIsLimitedPerMinuteOthersAreNot() {
        var recorder = recorder(burst: 3, perMinute: 3)
        var writes = 0
        for index in 0..<50 {
            let event = EventDescription(.warning, "AllocationFailed", "attempt \(index)")
            if recorder.record(event, about: web, now: start + Double(index) / 10) != .drop { writes += 1 }
        }
        // The burst; over these 4.9 s only 0.245 of a token came back (3 per minute).
        #expect(writes == 3)
        // Another object has its own bucket.
        #expect(recorder.record(failed, about: db, now: start + 5) != .drop)
        // 20 s later one token is back: one write, then nothing.
        #expect(recorder.record(EventDescription(.warning, "AllocationFailed", "late"), about: web, now: start + 25) != .drop)
        #expect(recorder.record(EventDescription(.warning, "AllocationFailed", "later"), about: web, now: start + 25) == .drop)
    }

    @Test func droppedRepeatsAreStillCounted() {
        var recorder = recorder(burst: 1, perMinute: 1)
        guard case .create(let event) = recorder.record(failed, about: web, now: start) else { Issue.record("not created"); return }
        for second in 1...9 {
            #expect(recorder.record(failed, about: web, now: start + Double(second)) == .drop)
        }
        #expect(recorder.record(failed, about: web, now: start + 70)
                == .patch(namespace: "default", name: event.metadata.name,
                          body: #"{"count":11,"lastTimestamp":"2027-01-15T08:01:10Z"}"#))
    }

    @Test func oldAggregatesAreForgotten() {
        var recorder = recorder()
        for index in 0..<20 {
            _ = recorder.record(EventDescription(.normal, "IPAllocated", "m\(index)"), about: db, now: start)
        }
        #expect(recorder.aggregateCount == 10)
        _ = recorder.record(failed, about: web, now: start + 601)
        #expect(recorder.aggregateCount == 1)
    }
}
