// InformerStateMachine: the list-then-watch protocol of one informer as a pure struct. Events in (list results,
// watch events, stream ends, timers), actions out (list, watch, back off, publish); Informer.swift performs them.
import LBKernel

/// The protocol logic of an informer for one resource: list, then watch from the list's resource version.
///
/// Bookmarks advance the resource version; a dropped stream resumes from the last one; `410 Gone` relists;
/// 429 and 5xx back off exponentially with jitter, honouring `Retry-After`; a watch silent for longer than
/// ``Options/silenceLimit`` is cancelled and resumed; objects that fail to decode are reported and skipped.
/// It keeps the whole current set of objects, keyed by `namespace/name`, and publishes it after changes
/// (at most once per ``Options/publishInterval``, with a trailing publish for the rest).
public struct InformerStateMachine<Object: Sendable>: Sendable {
    /// Tuning of the protocol.
    public struct Options: Hashable, Sendable {
        /// The first back-off delay; it doubles with each consecutive failure.
        public var backoffBase: Duration
        /// The longest back-off delay (a server's `Retry-After` may ask for more).
        public var backoffMaximum: Duration
        /// The fraction of each delay that is random, 0 to 1.
        public var jitter: Double
        /// A watch with no event (not even a bookmark) for this long is cancelled and resumed.
        public var silenceLimit: Duration
        /// The shortest time between two publishes; changes in between are coalesced. Zero publishes every change.
        public var publishInterval: Duration
        /// A watch that ends cleanly sooner than this after it started counts as a failure (so a server that
        /// closes every watch at once is not hammered).
        public var minimumWatchDuration: Duration

        /// Creates options; the defaults suit a real API server (bookmarks about once a minute).
        public init(backoffBase: Duration = .milliseconds(250), backoffMaximum: Duration = .seconds(30),
                    jitter: Double = 0.2, silenceLimit: Duration = .seconds(130),
                    publishInterval: Duration = .milliseconds(20), minimumWatchDuration: Duration = .seconds(1)) {
            self.backoffBase = backoffBase
            self.backoffMaximum = backoffMaximum
            self.jitter = min(max(jitter, 0), 1)
            self.silenceLimit = silenceLimit
            self.publishInterval = publishInterval
            self.minimumWatchDuration = minimumWatchDuration
        }
    }

    /// Why a list or a watch failed.
    public enum Failure: Hashable, Sendable, CustomStringConvertible {
        /// The server answered with an error status.
        case status(KubeError)
        /// The connection failed or broke (refused, reset, TLS, truncated stream).
        case transport(String)

        /// The failure for any error thrown by the client.
        public init(_ error: any Error) {
            if let error = error as? KubeError { self = .status(error) } else { self = .transport("\(error)") }
        }

        /// The status error's text or the transport error's.
        public var description: String {
            switch self {
            case .status(let error): error.description
            case .transport(let text): text
            }
        }
    }

    /// One event of a watch stream, decoded.
    public enum WatchEvent: Sendable {
        /// An object was added.
        case added(key: String, object: Object, resourceVersion: String?)
        /// An object was modified.
        case modified(key: String, object: Object, resourceVersion: String?)
        /// An object was deleted.
        case deleted(key: String, resourceVersion: String?)
        /// The server's progress mark: no object, a newer resource version.
        case bookmark(resourceVersion: String)
        /// An `ERROR` event carrying a Status (`code` 410 means the version is too old).
        case error(code: Int, reason: String, message: String)
        /// An ADDED/MODIFIED/DELETED event whose object failed to decode; `key` when its metadata was readable.
        case undecodable(type: String, key: String?, resourceVersion: String?, problem: KubeObjectProblem)
    }

    /// What happens to the informer.
    public enum Event: Sendable {
        /// The informer starts.
        case start
        /// A complete list arrived: the decodable objects by key, the list's resource version, the objects skipped.
        case listed(items: [String: Object], resourceVersion: String, problems: [KubeObjectProblem])
        /// The list failed.
        case listFailed(Failure)
        /// The current watch delivered an event.
        case watchEvent(WatchEvent)
        /// The current watch ended: cleanly (nil, e.g. `timeoutSeconds` reached) or with a failure.
        case watchEnded(Failure?)
        /// The back-off asked for by ``Action/backoff(_:)`` has elapsed.
        case backoffElapsed
        /// A timer fired: checks for a silent watch and a due publish.
        case tick
    }

    /// What the shell must do.
    public enum Action: Sendable {
        /// List the resource (all pages).
        case startList
        /// Watch from this resource version.
        case startWatch(from: String)
        /// Cancel the current watch; its later events are stale.
        case cancelWatch
        /// Wait this long, then send ``Event/backoffElapsed``.
        case backoff(Duration)
        /// Send ``Event/tick`` after this long (a coalesced publish is due then).
        case scheduleTick(after: Duration)
        /// Publish the complete current set of objects.
        case publish([String: Object])
        /// Report an object that was skipped because it could not be decoded.
        case report(KubeObjectProblem)
    }

    /// Where the protocol is.
    public enum State: Hashable, Sendable {
        /// Not started.
        case idle
        /// A list is running.
        case listing
        /// A watch is running.
        case watching
        /// Backing off; then lists (`relist` true) or resumes the watch.
        case waiting(relist: Bool)
    }

    /// The options.
    public let options: Options
    /// Where the protocol is.
    public private(set) var state: State = .idle
    /// The current objects by `namespace/name`.
    public private(set) var store: [String: Object] = [:]
    /// The resource version to resume from, once listed.
    public private(set) var resourceVersion: String?
    /// Failures since the last success.
    public private(set) var consecutiveFailures = 0

    private var lastActivity: ContinuousClock.Instant?
    private var watchStarted: ContinuousClock.Instant?
    private var lastPublish: ContinuousClock.Instant?
    private var publishPending = false
    private var random: SplitMix64

    /// Creates a machine; `seed` makes the jitter reproducible.
    public init(options: Options = Options(), seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.options = options
        self.random = SplitMix64(seed: seed)
    }

    /// Handles `event` at time `now` and returns the actions to perform, in order.
    public mutating func handle(_ event: Event, now: ContinuousClock.Instant) -> [Action] {
        switch (event, state) {
        case (.start, .idle):
            state = .listing
            return [.startList]

        case (.listed(let items, let version, let problems), .listing):
            store = items
            resourceVersion = version
            consecutiveFailures = 0
            var actions: [Action] = problems.map { .report($0) }
            actions.append(publishNow(now))
            actions.append(beginWatch(now))
            return actions

        case (.listFailed(let failure), .listing):
            return fail(failure, relist: true)

        case (.watchEvent(let watchEvent), .watching):
            lastActivity = now
            return apply(watchEvent, now: now)

        case (.watchEnded(nil), .watching):
            if let started = watchStarted, now - started < options.minimumWatchDuration {
                return fail(.transport("the watch ended immediately"), relist: false)
            }
            return [beginWatch(now)]

        case (.watchEnded(let failure?), .watching):
            if case .status(let error) = failure, error.isGone {
                return relist()
            }
            if case .transport = failure {
                consecutiveFailures += 1
                // The first drop resumes at once; repeated drops back off.
                if consecutiveFailures == 1 { return [beginWatch(now)] }
                return backoff(for: failure, relist: false)
            }
            return fail(failure, relist: false)

        case (.backoffElapsed, .waiting(let relist)):
            if relist || resourceVersion == nil {
                state = .listing
                return [.startList]
            }
            return [beginWatch(now)]

        case (.tick, _):
            var actions: [Action] = []
            if publishPending, let last = lastPublish, now - last >= options.publishInterval {
                actions.append(publishNow(now))
            }
            if state == .watching, let last = lastActivity, now - last > options.silenceLimit {
                actions.append(.cancelWatch)
                actions.append(beginWatch(now))
            }
            return actions

        default:
            // Stale: an event for a list or watch that is no longer current.
            return []
        }
    }

    private mutating func apply(_ event: WatchEvent, now: ContinuousClock.Instant) -> [Action] {
        switch event {
        case .added(let key, let object, let version), .modified(let key, let object, let version):
            store[key] = object
            advance(version)
            consecutiveFailures = 0
            return changed(now)
        case .deleted(let key, let version):
            advance(version)
            consecutiveFailures = 0
            guard store.removeValue(forKey: key) != nil else { return [] }
            return changed(now)
        case .bookmark(let version):
            advance(version)
            consecutiveFailures = 0
            return []
        case .error(let code, let reason, let message):
            if code == 410 || reason == "Expired" || reason == "Gone" {
                return [.cancelWatch] + relist()
            }
            let failure = Failure.status(KubeError(code: code, reason: reason, message: message, verb: "WATCH",
                                                   path: ""))
            return [.cancelWatch] + fail(failure, relist: false)
        case .undecodable(let type, let key, let version, let problem):
            advance(version)
            var actions: [Action] = [.report(problem)]
            // The object is skipped: as after a relist, an older decodable version does not linger.
            if let key, store.removeValue(forKey: key) != nil {
                actions += changed(now)
            }
            _ = type
            return actions
        }
    }

    private mutating func advance(_ version: String?) {
        if let version, !version.isEmpty { resourceVersion = version }
    }

    private mutating func beginWatch(_ now: ContinuousClock.Instant) -> Action {
        state = .watching
        lastActivity = now
        watchStarted = now
        return .startWatch(from: resourceVersion ?? "")
    }

    private mutating func relist() -> [Action] {
        consecutiveFailures += 1
        if consecutiveFailures == 1 {
            state = .listing
            return [.startList]
        }
        return backoff(for: .transport("relist"), relist: true)
    }

    private mutating func fail(_ failure: Failure, relist: Bool) -> [Action] {
        consecutiveFailures += 1
        return backoff(for: failure, relist: relist)
    }

    private mutating func backoff(for failure: Failure, relist: Bool) -> [Action] {
        state = .waiting(relist: relist)
        return [.backoff(delay(for: failure))]
    }

    /// The back-off delay after ``consecutiveFailures`` failures: the server's `Retry-After` when given (plus up to
    /// `jitter` of it), else `backoffBase × 2^(n-1)` capped at `backoffMaximum`, of which `jitter` is random.
    private mutating func delay(for failure: Failure) -> Duration {
        let fraction = random.nextUnit() * options.jitter
        if case .status(let error) = failure, let retryAfter = error.retryAfter {
            return retryAfter + retryAfter * fraction
        }
        let exponent = min(max(consecutiveFailures - 1, 0), 30)
        var delay = options.backoffBase * (1 << exponent)
        if delay > options.backoffMaximum { delay = options.backoffMaximum }
        return delay - delay * fraction
    }

    private mutating func changed(_ now: ContinuousClock.Instant) -> [Action] {
        if let last = lastPublish, now - last < options.publishInterval {
            if publishPending { return [] }
            publishPending = true
            return [.scheduleTick(after: options.publishInterval - (now - last))]
        }
        return [publishNow(now)]
    }

    private mutating func publishNow(_ now: ContinuousClock.Instant) -> Action {
        lastPublish = now
        publishPending = false
        return .publish(store)
    }
}
