import Foundation
import NIOCore
import NIOHTTP1

/// A watch on every Service through the API server's own watch stream (`GET /api/v1/services?watch=true`), as a
/// controller would see it: each event line is stamped with the instant its bytes were read, and every Service
/// whose status holds an ingress address is reported to the tracker.
struct ServiceWatch: Sendable {
    let client: APIClient
    let tracker: StatusTracker

    /// The marker of a non-empty ingress list in the server's compact, key-sorted JSON: only lines holding it are
    /// parsed, so the benchmark spends little CPU next to lbd.
    private static let ingressMarker = Array(#""ingress":[{"#.utf8)
    private static let modifiedMarker = Array(#""type":"MODIFIED""#.utf8)

    /// Watches on `channel` (from `client.connect()`) until the stream ends or the task is cancelled; `started` is
    /// called once the server answered 200.
    func run(on channel: APIChannel, started: @Sendable () -> Void) async throws {
        try await client.withConnection(channel) { connection in
            try await connection.send(.GET, "/api/v1/services?watch=true")
            var pending: [UInt8] = []
            while let part = try await connection.next() {
                switch part {
                case .head(let head):
                    guard head.status == .ok else { throw BenchError("the watch on services answered \(head.status)") }
                    started()
                case .body(let buffer):
                    let instant = ContinuousClock.now
                    pending += buffer.readableBytesView
                    var start = pending.startIndex
                    while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                        handle(pending[start..<newline], at: instant)
                        start = newline + 1
                    }
                    pending.removeSubrange(..<start)
                case .end:
                    return
                }
            }
        }
    }

    private func handle(_ line: ArraySlice<UInt8>, at instant: ContinuousClock.Instant) {
        if line.firstRange(of: Self.modifiedMarker) != nil { tracker.modified() }
        guard line.firstRange(of: Self.ingressMarker) != nil,
              let event = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              let object = event["object"] as? [String: Any],
              let metadata = object["metadata"] as? [String: Any],
              let name = metadata["name"] as? String, let namespace = metadata["namespace"] as? String,
              let status = object["status"] as? [String: Any],
              let loadBalancer = status["loadBalancer"] as? [String: Any],
              let ingress = loadBalancer["ingress"] as? [[String: Any]],
              ingress.contains(where: { ($0["ip"] as? String).map { !$0.isEmpty } ?? false }) else { return }
        if event["type"] as? String == "DELETED" { return }
        tracker.addressed(namespace: namespace, name: name, at: instant)
    }
}
