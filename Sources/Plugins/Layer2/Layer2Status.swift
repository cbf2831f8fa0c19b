import Foundation
import Logging

/// What the Layer 2 announcer writes to its status file: enough to see which node owns an address and why.
struct Layer2Status: Encodable, Sendable {
    /// An open interface.
    struct Interface: Encodable, Sendable, Hashable {
        var name: String
        var mac: String
        var arp: Bool
        var ndp: Bool
    }

    /// Requests answered, claims seen, frames dropped by reason; heartbeats sent, accepted and rejected by reason.
    struct Counters: Encodable, Sendable {
        var responder: ResponderCounters
        var heartbeats: Membership.Counters
    }

    /// This node.
    var node: String
    /// False during the startup hold (one detection period of listening before owning anything).
    var ready: Bool
    /// True once SIGTERM started the handover.
    var shuttingDown: Bool
    /// The other nodes heard from within the detection time.
    var live: [String]
    /// The interfaces answered on.
    var interfaces: [Interface]
    /// Per service this node is a candidate for: ranking, live candidates, owner, this node's state and why.
    var services: [OwnershipStatus.Service]
    /// Since start.
    var counters: Counters

    init(node: String, interfaces: [Interface], ownership: OwnershipStatus, responder: ResponderCounters,
         heartbeats: Membership.Counters) {
        self.node = node
        ready = ownership.ready
        shuttingDown = ownership.shuttingDown
        live = ownership.live
        self.interfaces = interfaces
        services = ownership.services
        counters = Counters(responder: responder, heartbeats: heartbeats)
    }
}

/// Writes the status file atomically (a temporary file renamed over it), so readers never see half a file.
struct StatusFileWriter: Sendable {
    let path: String
    let logger: Logger

    func write(_ status: Layer2Status) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(status)
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            logger.warning("layer 2: cannot write the status file \(path): \(error)")
        }
    }
}
