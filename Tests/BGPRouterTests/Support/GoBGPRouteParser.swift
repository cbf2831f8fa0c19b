import Foundation
import LabKit
import LBKernel

/// Reads GoBGP 3's JSON: `gobgp -j global rib -a <family>` and `gobgp -j neighbor <addr>`.
enum GoBGPRouteParser {
    /// Path attribute type codes (RFC 4271 §5, RFC 1997, RFC 4760, RFC 8092) as GoBGP tags its `attrs`.
    enum AttributeType {
        static let origin = 1, asPath = 2, nextHop = 3, med = 4, localPref = 5, communities = 8, mpReach = 14,
                   largeCommunities = 32
    }

    /// The paths in `gobgp -j global rib -a ipv4|ipv6`: an object mapping each prefix to its paths.
    static func routes(_ json: String) throws -> [RouterRoute] {
        let trimmed = json.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed == "null" { return [] }
        guard let table = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
            throw LabError("`gobgp -j global rib` did not print a JSON object: \(json.prefix(500))")
        }
        var routes: [RouterRoute] = []
        for (key, value) in table {
            guard let prefix = IPPrefix(key) else {
                throw LabError("GoBGP printed a prefix this parser does not read: \(key)")
            }
            for case let path as [String: Any] in value as? [Any] ?? [] {
                routes.append(try route(prefix, path))
            }
        }
        return routes.sorted()
    }

    /// One path: `attrs` is a list of `{"type": code, …}`.
    static func route(_ prefix: IPPrefix, _ path: [String: Any]) throws -> RouterRoute {
        var route = RouterRoute(prefix: prefix)
        for case let attribute as [String: Any] in path["attrs"] as? [Any] ?? [] {
            switch attribute["type"].flatMap(FRRRouteParser.number).map(Int.init) {
            case AttributeType.origin:
                route.origin = ["IGP", "EGP", "incomplete"][safe: attribute["value"].flatMap(FRRRouteParser.number)]
            case AttributeType.asPath:
                let segments = attribute["as_paths"] as? [[String: Any]] ?? []
                route.asPath = segments.flatMap { ($0["asns"] as? [Any] ?? []).compactMap(FRRRouteParser.number) }
            case AttributeType.nextHop, AttributeType.mpReach:
                route.nextHop = (attribute["nexthop"] as? String).flatMap(IPAddress.init)
                route.linkLocalNextHop = (attribute["linklocal_nexthop"] as? String).flatMap(IPAddress.init)
            case AttributeType.med:
                route.med = attribute["metric"].flatMap(FRRRouteParser.number)
            case AttributeType.localPref:
                route.localPref = attribute["value"].flatMap(FRRRouteParser.number)
            case AttributeType.communities:
                for value in (attribute["communities"] as? [Any] ?? []).compactMap(FRRRouteParser.number) {
                    route.communities.append(.standard(UInt16(value >> 16), UInt16(value & 0xFFFF)))
                }
            case AttributeType.largeCommunities:
                for case let value as [String: Any] in attribute["value"] as? [Any] ?? [] {
                    guard let asn = value["ASN"].flatMap(FRRRouteParser.number),
                          let first = value["LocalData1"].flatMap(FRRRouteParser.number),
                          let second = value["LocalData2"].flatMap(FRRRouteParser.number) else {
                        throw LabError("GoBGP printed a large community this parser does not read: \(value)")
                    }
                    route.communities.append(.large(asn, first, second))
                }
            default:
                break
            }
        }
        route.communities.sort()
        route.stale = path["stale"] as? Bool ?? false
        if let neighbor = (path["neighbor-ip"] as? String).flatMap(IPAddress.init), neighbor.value != 0 {
            route.peer = neighbor
        }
        return route
    }

    /// The session state in `gobgp -j neighbor <addr>`: `state.session_state`, a number (RFC 4271 §8.2.2 order,
    /// 1 = Idle … 6 = Established) or a name.
    static func sessionState(_ json: String, neighbor: IPAddress) throws -> SessionState {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
        guard let entry = (value as? [String: Any]) ?? (value as? [[String: Any]])?.first,
              let state = entry["state"] as? [String: Any] else {
            throw LabError("`gobgp -j neighbor \(neighbor)` printed no neighbour state: \(json.prefix(500))")
        }
        switch state["session_state"] {
        case let name as String: return SessionState(name: name)
        case let number as NSNumber:
            let states: [SessionState] = [.other("Unknown"), .idle, .connect, .active, .openSent, .openConfirm,
                                          .established]
            return states[safe: UInt32(exactly: number.int64Value)] ?? .other("\(number)")
        default: return .idle  // an idle session's zero value is left out
        }
    }
}

extension Array {
    /// The element at `index`, or nil when it is out of range.
    subscript(safe index: UInt32?) -> Element? {
        guard let index, Int(index) < count else { return nil }
        return self[Int(index)]
    }
}
