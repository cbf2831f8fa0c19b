// Aggregation and rate limiting of Events, as client-go's EventCorrelator does it, in a pure struct with the
// clock injected: the same event within the aggregation window increments `count` on one Event (a PATCH) instead
// of creating another, and a token bucket per object bounds the writes, so a failing service cannot flood the API.
public import Foundation

/// The object an Event is about.
public struct EventObjectReference: Hashable, Sendable, Codable {
    /// The API version (`v1`).
    public var apiVersion: String
    /// The kind (`Service`).
    public var kind: String
    /// The namespace.
    public var namespace: String
    /// The name.
    public var name: String
    /// The uid, when known.
    public var uid: String?

    /// Creates a reference.
    public init(apiVersion: String = "v1", kind: String, namespace: String, name: String, uid: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    /// The reference to a Service.
    public init(_ service: KubeService) {
        self.init(kind: KubeService.kind, namespace: service.metadata.namespace ?? "default",
                  name: service.metadata.name, uid: service.metadata.uid)
    }
}

/// A core/v1 Event as lbd creates it.
public struct KubeEvent: Hashable, Sendable, Codable {
    /// `v1`.
    public var apiVersion = "v1"
    /// `Event`.
    public var kind = "Event"
    /// Name and namespace (the involved object's).
    public var metadata: Metadata
    /// The object the event is about.
    public var involvedObject: EventObjectReference
    /// MetalLB's reason.
    public var reason: String
    /// The message.
    public var message: String
    /// `Normal` or `Warning`.
    public var type: String
    /// How many times it happened.
    public var count: Int
    /// When it first happened (RFC 3339).
    public var firstTimestamp: String
    /// When it last happened (RFC 3339).
    public var lastTimestamp: String
    /// The component and host that report it.
    public var source: Source
    /// The reporting component (`lbd`).
    public var reportingComponent: String
    /// The reporting instance (the node).
    public var reportingInstance: String

    /// An Event's metadata.
    public struct Metadata: Hashable, Sendable, Codable {
        /// The name.
        public var name: String
        /// The namespace.
        public var namespace: String
    }

    /// `source`.
    public struct Source: Hashable, Sendable, Codable {
        /// The component.
        public var component: String
        /// The host, or nil.
        public var host: String?
    }
}

/// Aggregates and rate-limits Events. Pure: the caller passes the time and performs the returned action.
public struct EventRecorder: Sendable {
    /// The recorder's settings.
    public struct Configuration: Hashable, Sendable {
        /// The same (object, type, reason, message) within this many seconds of its last occurrence increments the
        /// existing Event's count.
        public var aggregationWindow: TimeInterval
        /// At most this many API writes (creates and patches) per object in a burst.
        public var burst: Int
        /// Tokens regained per object per minute.
        public var perMinute: Double
        /// The reporting component.
        public var component: String
        /// The reporting host (the node).
        public var host: String

        /// Creates settings: 10 minutes' aggregation, 10 writes per object per minute by default.
        public init(aggregationWindow: TimeInterval = 600, burst: Int = 10, perMinute: Double = 10,
                    component: String = "lbd", host: String) {
            self.aggregationWindow = aggregationWindow
            self.burst = burst
            self.perMinute = perMinute
            self.component = component
            self.host = host
        }
    }

    /// What to do with one event.
    public enum Action: Hashable, Sendable {
        /// Create this Event (`POST /api/v1/namespaces/NS/events`).
        case create(KubeEvent)
        /// Patch the Event `name` in `namespace` with this JSON merge patch (count and lastTimestamp).
        case patch(namespace: String, name: String, body: String)
        /// Drop it: the object's rate limit is exhausted (the count is kept for the next patch).
        case drop
    }

    private struct Key: Hashable {
        var object: EventObjectReference
        var type: EventType
        var reason: String
        var message: String
    }

    private struct Aggregate {
        var name: String
        var count: Int
        var first: Date
        var last: Date
    }

    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    /// The settings.
    public var configuration: Configuration
    private var aggregates: [Key: Aggregate] = [:]
    private var buckets: [EventObjectReference: Bucket] = [:]
    private var lastName: (prefix: String, stamp: UInt64)?
    private var lastPrune: Date?

    /// Creates a recorder.
    public init(configuration: Configuration) { self.configuration = configuration }

    /// The number of aggregates held (for tests and metrics).
    public var aggregateCount: Int { aggregates.count }

    /// Records `event` about `object` at `now` and says what to write.
    public mutating func record(_ event: EventDescription, about object: EventObjectReference, now: Date) -> Action {
        prune(now)
        let key = Key(object: object, type: event.type, reason: event.reason, message: event.message)
        if var aggregate = aggregates[key], now.timeIntervalSince(aggregate.last) < configuration.aggregationWindow {
            aggregate.count += 1
            aggregate.last = now
            aggregates[key] = aggregate
            guard take(object, now) else { return .drop }
            return .patch(namespace: object.namespace, name: aggregate.name,
                          body: "{\"count\":\(aggregate.count),\"lastTimestamp\":\"\(Self.timestamp(now))\"}")
        }
        guard take(object, now) else { return .drop }
        let name = eventName(object.name, now)
        aggregates[key] = Aggregate(name: name, count: 1, first: now, last: now)
        return .create(KubeEvent(
            metadata: .init(name: name, namespace: object.namespace), involvedObject: object, reason: event.reason,
            message: event.message, type: event.type.rawValue, count: 1, firstTimestamp: Self.timestamp(now),
            lastTimestamp: Self.timestamp(now), source: .init(component: configuration.component, host: configuration.host),
            reportingComponent: configuration.component, reportingInstance: configuration.host))
    }

    /// Takes one token from the object's bucket; false when it is empty.
    private mutating func take(_ object: EventObjectReference, _ now: Date) -> Bool {
        let capacity = Double(configuration.burst)
        var bucket = buckets[object] ?? Bucket(tokens: capacity, updated: now)
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(capacity, bucket.tokens + elapsed * configuration.perMinute / 60)
        bucket.updated = now
        defer { buckets[object] = bucket }
        guard bucket.tokens >= 1 else { return false }
        bucket.tokens -= 1
        return true
    }

    /// Forgets aggregates past their window and full buckets, at most once a minute.
    private mutating func prune(_ now: Date) {
        if let lastPrune, now.timeIntervalSince(lastPrune) < 60 { return }
        lastPrune = now
        let window = configuration.aggregationWindow
        aggregates = aggregates.filter { now.timeIntervalSince($0.value.last) < window }
        let capacity = Double(configuration.burst)
        buckets = buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.updated) * configuration.perMinute / 60 < capacity }
    }

    /// `name.<hex nanoseconds>`, as client-go names events; unique even within one nanosecond.
    private mutating func eventName(_ object: String, _ now: Date) -> String {
        var stamp = UInt64(max(0, now.timeIntervalSince1970 * 1_000_000_000))
        if let last = lastName, stamp <= last.stamp { stamp = last.stamp + 1 }
        lastName = (object, stamp)
        return "\(object).\(String(stamp, radix: 16))"
    }

    /// RFC 3339 with seconds, as Kubernetes writes `metav1.Time`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
