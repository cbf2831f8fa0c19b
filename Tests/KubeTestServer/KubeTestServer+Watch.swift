import Synchronization
import NIOCore
import NIOHTTP1

/// One open watch stream.
struct Watcher: Sendable {
    var channel: any Channel
    var resource: ResourceType
    var namespace: String?
    var labels: LabelSelector?
    var fields: LabelSelector?
    var table: Bool
    var stalled = false
    var bookmarks: RepeatedTask?
    var timeout: Scheduled<Void>?

    /// How this watch sees `event`: nil when it does not concern it; a change that moves an object into the
    /// selectors is ADDED for it, out of them DELETED (as the API server's watch cache reports them).
    func view(_ event: StoredEvent) -> String? {
        guard event.resource == resource,
              namespace == nil || event.object[path: ["metadata", "namespace"]]?.stringValue == namespace else {
            return nil
        }
        let now = ResourceStore.matches(event.object, labels: labels, fields: fields)
        guard let previous = event.previous else { return now ? event.type : nil }
        let before = ResourceStore.matches(previous, labels: labels, fields: fields)
        switch (before, now) {
        case (true, true): return event.type
        case (false, true): return "ADDED"
        case (true, false): return "DELETED"
        case (false, false): return nil
        }
    }

    func line(_ type: String, _ object: JSONValue) -> JSONValue {
        ["type": .string(type), "object": table && type != "BOOKMARK" && type != "ERROR"
            ? KubeTestServer.table(resource, objects: [object], metadata: [:]) : object]
    }
}

extension KubeTestServer {
    /// Starts a watch: replays the retained changes after `resourceVersion` (or, without one, ADDED for every
    /// matching object), then streams live changes; an expired `resourceVersion` gets one ERROR event (410).
    func startWatch(_ request: Request, type: ResourceType, namespace: String?, on channel: any Channel) throws {
        let query = request.query
        let labels = try query["labelSelector"].map(LabelSelector.init(parsing:))
        let fields = try query["fieldSelector"].map(LabelSelector.init(parsing:))
        let table = (request.head.headers.first(name: "Accept") ?? "").contains("as=Table")
        let bookmarks = query["allowWatchBookmarks"] == "true"
        let timeout = query["timeoutSeconds"].flatMap { Int64($0) }
        let version = query["resourceVersion"] ?? ""
        var watcher = Watcher(channel: channel, resource: type, namespace: namespace, labels: labels,
                              fields: fields, table: table)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        let head = HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))
        let startVersion: Int?
        if version.isEmpty || version == "0" {
            startVersion = nil
        } else if let number = Int(version) {
            startVersion = number
        } else {
            throw APIError.badRequest("invalid resource version: \(version)")
        }
        try state.withLock { state in
            var lines: [JSONValue] = []
            if let startVersion {
                do {
                    lines = try state.store.events(type, after: startVersion).compactMap { event in
                        watcher.view(event).map { watcher.line($0, event.object) }
                    }
                } catch let error as APIError {
                    Self.send([head] + Self.parts([watcher.line("ERROR", error.status)]) + [.end(nil)], to: channel)
                    return
                }
            } else {
                lines = state.store.matching(type, namespace: namespace, labels: labels, fields: fields).map {
                    watcher.line("ADDED", $0.object)
                }
            }
            state.nextID += 1
            let id = state.nextID
            Self.send([head] + Self.parts(lines), to: channel)
            if bookmarks {
                let interval = TimeAmount.nanoseconds(Int64(bookmarkInterval.components.seconds) * 1_000_000_000
                    + bookmarkInterval.components.attoseconds / 1_000_000_000)
                watcher.bookmarks = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) {
                    [self] _ in bookmark(id)
                }
            }
            if let timeout {
                watcher.timeout = channel.eventLoop.scheduleTask(in: .seconds(timeout)) { [self] in
                    endWatch(id, close: false)
                }
            }
            state.watchers[id] = watcher
            channel.closeFuture.whenComplete { [self] _ in endWatch(id, close: false) }
        }
    }

    /// Sends `event` to every watch that wants it (called under the lock, right after the write).
    static func notify(_ event: StoredEvent, state: inout ServerState) {
        for watcher in state.watchers.values where !watcher.stalled {
            if let type = watcher.view(event) { send(parts([watcher.line(type, event.object)]), to: watcher.channel) }
        }
    }

    private func bookmark(_ id: Int) {
        state.withLock { state in
            guard let watcher = state.watchers[id], !watcher.stalled else { return }
            let object: JSONValue = ["kind": .string(watcher.resource.kind),
                                     "apiVersion": .string(watcher.resource.apiVersion),
                                     "metadata": ["resourceVersion": .string(String(state.store.resourceVersion))]]
            Self.send(Self.parts([watcher.line("BOOKMARK", object)]), to: watcher.channel)
        }
    }

    /// Ends watch `id`: with `close` the connection is closed (a dropped stream), else the response ends cleanly.
    func endWatch(_ id: Int, close: Bool) {
        state.withLock { state in
            guard let watcher = state.watchers.removeValue(forKey: id) else { return }
            watcher.bookmarks?.cancel()
            watcher.timeout?.cancel()
            if close {
                watcher.channel.close(promise: nil)
            } else {
                Self.send([.end(nil)], to: watcher.channel)
            }
        }
    }

    static func parts(_ lines: [JSONValue]) -> [HTTPServerResponsePart] {
        lines.map { .body(.byteBuffer(ByteBuffer(bytes: $0.bytes + [UInt8(ascii: "\n")]))) }
    }

    /// Writes `parts` in order on the channel's event loop (always enqueued, so sends made under the lock keep
    /// their order and never run inline).
    static func send(_ parts: [HTTPServerResponsePart], to channel: any Channel) {
        guard !parts.isEmpty else { return }
        channel.eventLoop.execute {
            for part in parts { channel.write(part, promise: nil) }
            channel.flush()
        }
    }
}
