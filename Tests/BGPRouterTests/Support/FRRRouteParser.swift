import Foundation
import LabKit
import LBKernel

/// Reads FRR's JSON: `show bgp <afi> unicast json detail`, `show bgp neighbors <addr> json`, `show bfd peers json`.
enum FRRRouteParser {
    /// The paths in `show bgp ipv4|ipv6 unicast json detail` (FRR 8.4): `routes` maps each prefix to an array whose
    /// first element describes the prefix and whose other elements are its paths.
    static func routes(_ json: String) throws -> [RouterRoute] {
        let root = try object(json, "show bgp … json detail")
        guard let table = root["routes"] as? [String: Any] else { return [] }
        var routes: [RouterRoute] = []
        for (key, value) in table {
            guard let prefix = IPPrefix(key) else {
                throw LabError("FRR printed a prefix this parser does not read: \(key)")
            }
            for case let path as [String: Any] in (value as? [Any]) ?? [] where path["nexthops"] != nil {
                routes.append(try route(prefix, path))
            }
        }
        return routes.sorted()
    }

    /// One path of the detail JSON (also the elements of `paths` in `show bgp … <prefix> json`).
    static func route(_ prefix: IPPrefix, _ path: [String: Any]) throws -> RouterRoute {
        var route = RouterRoute(prefix: prefix)
        if let aspath = path["aspath"] as? [String: Any] {
            let segments = aspath["segments"] as? [[String: Any]] ?? []
            route.asPath = segments.flatMap { ($0["list"] as? [Any] ?? []).compactMap(number) }
        }
        route.origin = path["origin"] as? String
        route.med = path["metric"].flatMap(number)
        route.localPref = path["locPrf"].flatMap(number) ?? path["localpref"].flatMap(number)
        for key in ["community", "largeCommunity"] {
            guard let list = (path[key] as? [String: Any])?["list"] as? [String] else { continue }
            for text in list {
                guard let community = WellKnownCommunity.parse(text) else {
                    throw LabError("FRR printed a community this parser does not read: \(text) (\(key))")
                }
                route.communities.append(community)
            }
        }
        route.communities.sort()
        for case let hop as [String: Any] in path["nexthops"] as? [Any] ?? [] {
            guard let address = (hop["ip"] as? String).flatMap(IPAddress.init) else { continue }
            if hop["scope"] as? String == "link-local" { route.linkLocalNextHop = address } else if route.nextHop == nil {
                route.nextHop = address
            }
        }
        route.stale = path["stale"] as? Bool ?? false
        if let peer = (path["peer"] as? [String: Any])?["peerId"] as? String, let address = IPAddress(peer),
           address.value != 0 {
            route.peer = address
        }
        return route
    }

    /// The `bgpState` of `neighbor` in `show bgp neighbors <addr> json`.
    static func sessionState(_ json: String, neighbor: IPAddress) throws -> SessionState {
        let root = try object(json, "show bgp neighbors \(neighbor) json")
        guard let entry = root["\(neighbor)"] as? [String: Any] ?? root.values.first as? [String: Any],
              let state = entry["bgpState"] as? String else {
            throw LabError("FRR has no neighbour \(neighbor): \(json)")
        }
        return SessionState(name: state)
    }

    /// The status of the BFD session with `neighbor` in `show bfd peers json`, or nil when there is none.
    static func bfdState(_ json: String, neighbor: IPAddress) throws -> String? {
        guard let peers = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
            throw LabError("`show bfd peers json` is not a list: \(json)")
        }
        let entry = peers.first { ($0["peer"] as? String).flatMap(IPAddress.init) == neighbor }
        return entry?["status"] as? String
    }

    static func object(_ json: String, _ command: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw LabError("`\(command)` did not print a JSON object: \(json.prefix(500))")
        }
        return object
    }

    static func number(_ value: Any) -> UInt32? {
        if let number = value as? NSNumber { return UInt32(exactly: number.int64Value) }
        if let text = value as? String { return UInt32(text) }
        return nil
    }
}
