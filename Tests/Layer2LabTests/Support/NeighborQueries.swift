import Foundation
import LabKit
import LBKernel

/// An entry of a neighbour cache, as `ip -j neigh show` prints it.
struct NeighborEntry: Decodable, Hashable, Sendable, CustomStringConvertible {
    /// The neighbour's address.
    var dst: String
    /// Its link-layer address, absent while the entry is INCOMPLETE or FAILED.
    var lladdr: String?
    /// NUD states (`REACHABLE`, `STALE`, …).
    var state: [String]?

    /// `dst lladdr STATE`.
    var description: String { "\(dst) \(lladdr ?? "-") \((state ?? []).joined(separator: ","))" }
}

/// Real clients asking who has an address: iputils `arping`, `ndisc6`, and the kernel's neighbour cache.
enum NeighborQueries {
    /// The MAC addresses (lower case, one per reply, in order) that answered `count` broadcast ARP requests for
    /// `address` sent from `host`. `-b` keeps every request broadcast: after a first reply arping would otherwise
    /// ask only the MAC that answered, and a second responder would go unnoticed.
    static func arping(_ lab: Layer2Lab, from host: LabHost, _ address: IPv4Address, count: Int = 3) async throws
        -> [String] {
        let result = try await lab.attempt(["arping", "-b", "-c", "\(count)", "-I", host.interface, "\(address)"],
                                           in: host, timeout: .seconds(Int64(count) + 10))
        guard result.status == 0 || result.status == 1 else { throw LabError(result.description) }
        return parseArping(result.stdout)
    }

    /// The MAC addresses that answered a Neighbor Solicitation for `address` from `host` (`ndisc6 -m`: every
    /// answer within a second, up to three tries until one comes).
    static func ndisc6(_ lab: Layer2Lab, from host: LabHost, _ address: IPv6Address) async throws -> [String] {
        let result = try await lab.attempt(["ndisc6", "-m", "-n", "-r", "3", "-w", "1000", "\(address)",
                                            host.interface], in: host, timeout: .seconds(15))
        guard result.status == 0 || result.status == 2 else { throw LabError(result.description) }
        return parseNdisc6(result.stdout)
    }

    /// `host`'s neighbour cache entry for `address` on its interface, or nil when there is none.
    static func neighbor(_ lab: Layer2Lab, in host: LabHost, _ address: IPAddress) async throws -> NeighborEntry? {
        let result = try await lab.run(["ip", "-j", "neigh", "show", "\(address)", "dev", host.interface], in: host)
        return try parseNeighbors(result.stdout).first { IPAddress($0.dst) == address }
    }

    /// The MACs of iputils arping's `Unicast reply from 10.97.0.100 [02:97:00:00:00:11]  0.5ms` lines.
    static func parseArping(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /reply from \S+ \[([0-9A-Fa-f:]{17})\]/).map { String($0.1).lowercased() }
        }
    }

    /// The MACs of ndisc6's `Target link-layer address: 02:97:00:00:00:11` lines.
    static func parseNdisc6(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /Target link-layer address: ([0-9A-Fa-f:]{17})/).map { String($0.1).lowercased() }
        }
    }

    /// The entries of `ip -j neigh show` output.
    static func parseNeighbors(_ json: String) throws -> [NeighborEntry] {
        let text = json.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? [] : try JSONDecoder().decode([NeighborEntry].self, from: Data(text.utf8))
    }
}
