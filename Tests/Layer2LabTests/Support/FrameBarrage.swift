import Foundation
import LabKit

/// Raw frames sent at the nodes from the observer (LabScripts.frames), and what was answered.
enum FrameBarrage {
    /// Which set of frames.
    enum Kind: String, Sendable {
        /// Malformed, truncated, spoofed and misaddressed requests, claims of the VIPs, random frames: none may be
        /// answered.
        case bad
        /// Well-formed requests (padded to 1514 octets, an unknown 1400-octet option, an ARP probe, a DAD probe):
        /// each must be answered by the owner.
        case control
    }

    /// The random frames' seed: `LBDT_SEED` (to replay a failure, which prints its seed), else a random one.
    static func seed() -> UInt32 {
        ProcessInfo.processInfo.environment["LBDT_SEED"].flatMap { UInt32($0) } ?? .random(in: 1...UInt32.max)
    }

    /// An answer a frame got: an ARP reply or a Neighbor Advertisement from a node.
    struct Reply: Decodable, Sendable, CustomStringConvertible {
        /// The node's MAC.
        var node: String
        /// `arp-reply` or `na`.
        var kind: String
        /// The Ethernet destination (ARP) or the IPv6 destination (NA).
        var to: String
        /// The address answered for.
        var address: String
        /// A gratuitous ARP or an NA without S to a multicast group.
        var unsolicited: Bool

        /// `arp-reply from 02:..:13 for 10.97.0.100 to 02:66:..:01`.
        var description: String { "\(kind) from \(node) for \(address) to \(to)\(unsolicited ? " (unsolicited)" : "")" }
    }

    /// The outcome: per case, the replies it got.
    struct Result: Decodable, Sendable {
        /// How long the script waited for the nodes' gratuitous announcements to stop before sending (ms; −1: they
        /// never stopped for 1.2 s within 20 s).
        var quiet_ms: Int
        /// Case name → replies.
        var cases: [String: [Reply]]
    }

    /// Sends the `kind` frames from the observer at the nodes (`owner` is the MAC the spoofed frames pretend to come
    /// from, and the unicast destination of one control NS) and returns what each case got.
    static func send(_ kind: Kind, in lab: Layer2Lab, owner: LabHost, seed: UInt32 = FrameBarrage.seed())
        async throws -> Result {
        let result = try await lab.run([Tools.python, lab.file("frames.py").path, lab.observer.interface,
                                        "\(Layer2Lab.vip4)", "\(Layer2Lab.vip6)",
                                        lab.nodes.map(\.mac).joined(separator: ","), owner.mac, kind.rawValue,
                                        "\(seed)"], in: lab.observer, timeout: .seconds(90))
        do {
            return try JSONDecoder().decode(Result.self, from: Data(result.stdout.utf8))
        } catch {
            throw LabError("frames.py (seed \(seed)) printed no result: \(error)\n\(result)")
        }
    }
}
