import Synchronization
import NIOCore

/// Faults tests inject: what a flaky or restarted API server does to its clients.
extension KubeTestServer {
    /// Closes every open watch stream now (the connection drops, as when an API server or a proxy goes away).
    public func dropWatches() {
        let ids = state.withLock { Array($0.watchers.keys) }
        for id in ids { endWatch(id, close: true) }
    }

    /// Freezes every watch stream open now: no events, no bookmarks, the connection stays open; after `duration`
    /// those streams are closed. Watches opened later work normally (a client that notices the silence recovers).
    public func stallWatches(for duration: Duration) {
        let stalled = state.withLock { state -> [(Int, any Channel)] in
            for id in state.watchers.keys { state.watchers[id]?.stalled = true }
            return state.watchers.map { ($0.key, $0.value.channel) }
        }
        let nanoseconds = Int64(duration.components.seconds) * 1_000_000_000
            + duration.components.attoseconds / 1_000_000_000
        for (id, channel) in stalled {
            channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in endWatch(id, close: true) }
        }
    }

    /// Answers the next `count` requests (any path, watches included) with `status`: 429 comes with
    /// `Retry-After: 1`; 409, 500 and 503 with the Status the API server sends. `method` (`PATCH`) and
    /// `pathContaining` (`/status`) limit which requests fail; others are served normally.
    public func failNext(count: Int, status: Int = 500, method: String? = nil, pathContaining: String? = nil) {
        state.withLock {
            $0.failures = count
            $0.failureStatus = status
            $0.failureMethod = method
            $0.failurePath = pathContaining
        }
    }

    /// Delays every response by `delay` (`.zero` stops delaying).
    public func delayResponses(_ delay: Duration) {
        state.withLock { $0.delay = delay }
    }

    /// Forgets the change history: a watch from any resourceVersion before now gets an ERROR event with 410 Gone.
    public func forgetHistory() {
        state.withLock { $0.store.forgetHistory() }
    }

    /// Simulates an API server whose state was lost: every object is gone, every watch is closed, the history is
    /// empty. resourceVersions keep increasing (the next write gets a higher one than any before, as a restored
    /// API server's do), so a client resuming from an old resourceVersion gets 410 Gone and must relist.
    public func restart() {
        state.withLock { state in
            state.store = ResourceStore(resourceVersion: state.store.resourceVersion + 1,
                                        historyLimit: state.store.historyLimit)
        }
        dropWatches()
    }

    /// Every request served so far, as `METHOD uri`.
    public var requestLog: [String] { state.withLock { $0.requests } }
}
