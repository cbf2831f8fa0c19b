import Foundation
import NIOCore
import NIOHTTP1

/// The benchmark's watches, through the API server's own watch streams as a controller would see them: every
/// Service whose status holds an ingress address, and the first Event about each Service of one namespace, are
/// reported to the tracker with the instant their bytes were read.
struct ServiceWatch: Sendable {
    let client: APIClient
    let tracker: StatusTracker

    /// The marker of a non-empty ingress list in the server's compact, key-sorted JSON: only lines holding it are
    /// parsed, so the benchmark spends little CPU next to lbd.
    private static let ingressMarker = Array(#""ingress":[{"#.utf8)
    private static let modifiedMarker = Array(#""type":"MODIFIED""#.utf8)

    /// Watches every Service (`GET /api/v1/services?watch=true`) on `channel` (from `client.connect()`) until the
    /// stream ends or the task is cancelled; the tracker counts it as started once the server answered 200.
    func services(on channel: APIChannel) async throws {
        try await client.withConnection(channel) { connection in
            try await connection.watch("/api/v1/services?watch=true", started: tracker.watchStarted) { line, instant in
                handleService(line, at: instant)
            }
        }
    }

    /// Watches the Events of `namespace` and records the first one about each Service (lbd's `IPAllocated`).
    func events(in namespace: String, on channel: APIChannel) async throws {
        try await client.withConnection(channel) { connection in
            try await connection.watch("/api/v1/namespaces/\(namespace)/events?watch=true",
                                       started: tracker.watchStarted) { line, instant in
                guard let event = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      event["type"] as? String == "ADDED",
                      let object = event["object"] as? [String: Any],
                      let involved = object["involvedObject"] as? [String: Any], involved["kind"] as? String == "Service",
                      let name = involved["name"] as? String else { return }
                tracker.event(namespace: namespace, name: name, at: instant)
            }
        }
    }

    private func handleService(_ line: ArraySlice<UInt8>, at instant: ContinuousClock.Instant) {
        if line.firstRange(of: Self.modifiedMarker) != nil { tracker.modified() }
        guard line.firstRange(of: Self.ingressMarker) != nil,
              let event = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              event["type"] as? String != "DELETED",
              let object = event["object"] as? [String: Any],
              let metadata = object["metadata"] as? [String: Any],
              let name = metadata["name"] as? String, let namespace = metadata["namespace"] as? String,
              let status = object["status"] as? [String: Any],
              let loadBalancer = status["loadBalancer"] as? [String: Any],
              let ingress = loadBalancer["ingress"] as? [[String: Any]],
              ingress.contains(where: { ($0["ip"] as? String).map { !$0.isEmpty } ?? false }) else { return }
        tracker.addressed(namespace: namespace, name: name, at: instant)
    }
}
