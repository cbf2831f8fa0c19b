import Foundation
import LabKit
import LBKernel

/// Reads BIRD 2's text output: `show route … all` (routes with their attributes) and `show protocols all`.
enum BIRDRouteParser {
    /// One route of `show route all`, with the name of the protocol that learned it.
    struct Entry: Sendable {
        /// The BGP protocol's name (the adapter maps it to a neighbour).
        var protocolName: String
        /// The route's attributes.
        var route: RouterRoute
    }

    /// The BGP routes in `show route [table t] all` output; routes of other protocols (static, device) are left
    /// out. A line that starts in column 0 with a prefix begins a network; a line indented with spaces begins
    /// another route for the same network; lines indented with a tab are the current route's attributes.
    ///
    /// ```
    /// 198.18.0.1/32        unicast [peer1 09:18:52.450] * (100) [AS64500i]
    /// \tvia 10.77.0.2 on veth-rtr
    /// \tType: BGP univ
    /// \tBGP.as_path: 64500
    /// \tBGP.community: (64500,100)
    /// ```
    static func routes(_ output: String) throws -> [Entry] {
        var entries: [Entry] = []
        var current: (protocolName: String, route: RouterRoute, isBGP: Bool)?
        var network: IPPrefix?

        func finish() {
            if let done = current, done.isBGP {
                var route = done.route
                route.communities.sort()
                entries.append(Entry(protocolName: done.protocolName, route: route))
            }
            current = nil
        }

        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("\t") {
                guard current != nil else { continue }
                let attribute = line.dropFirst()
                if attribute.hasPrefix("Type: ") {
                    current?.isBGP = attribute.dropFirst(6).hasPrefix("BGP")
                    continue
                }
                guard let colon = attribute.firstIndex(of: ":") else { continue }
                let name = attribute[..<colon]
                let value = attribute[attribute.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                try apply(name: String(name), value: value, to: &current!.route, line: String(line))
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let bracket = trimmed.firstIndex(of: "["), trimmed.contains("]") else {
                continue  // banners, `Table master4:`, blank lines
            }
            let head = trimmed[..<bracket].split(separator: " ")
            if line.first?.isWhitespace == false {
                // A new network: `<prefix> <type> [proto time (from addr)] (*) (pref…) [ASnnni]`.
                guard let text = head.first, let prefix = IPPrefix(String(text)) else { continue }
                network = prefix
            }
            finish()
            guard let network else { continue }
            let inside = trimmed[trimmed.index(after: bracket)...].prefix { $0 != "]" }
            let protocolName = inside.split(separator: " ").first.map(String.init) ?? ""
            let after = trimmed[trimmed.index(after: bracket)...].drop { $0 != "]" }.dropFirst()
            // `(100s)`: the route is stale (BIRD marks LLGR-stale routes so; RFC 9494).
            let info = after.drop { $0 != "(" }.prefix { $0 != ")" }
            let stale = info.contains("s")
            current = (protocolName, RouterRoute(prefix: network, stale: stale), false)
        }
        finish()
        return entries
    }

    /// Applies one `BGP.<attribute>: value` line to `route`.
    static func apply(name: String, value: String, to route: inout RouterRoute, line: String) throws {
        switch name {
        case "BGP.origin":
            route.origin = value.lowercased() == "incomplete" ? "incomplete" : value
        case "BGP.as_path":
            route.asPath = value.split { $0 == " " || $0 == "{" || $0 == "}" || $0 == "(" || $0 == ")" }
                .compactMap { UInt32($0) }
        case "BGP.next_hop":
            let addresses = value.split(separator: " ").compactMap { IPAddress(String($0)) }
            route.nextHop = addresses.first
            route.linkLocalNextHop = addresses.dropFirst().first
        case "BGP.med":
            route.med = UInt32(value)
        case "BGP.local_pref":
            route.localPref = UInt32(value)
        case "BGP.community", "BGP.large_community":
            // `(64500,100) (65535,65281)` and `(64500, 1, 2) (…)`.
            for group in value.split(separator: ")") {
                let numbers = group.split { $0 == "(" || $0 == "," || $0 == " " }.compactMap { UInt32($0) }
                switch numbers.count {
                case 2 where numbers[0] <= 0xFFFF && numbers[1] <= 0xFFFF:
                    route.communities.append(.standard(UInt16(numbers[0]), UInt16(numbers[1])))
                case 3:
                    route.communities.append(.large(numbers[0], numbers[1], numbers[2]))
                default:
                    throw LabError("BIRD printed a community this parser does not read: \(line)")
                }
            }
        default:
            break
        }
    }

    /// The session state in `show protocols all <name>` output (`BGP state: Established`); a protocol that is
    /// down has no such line and reads as idle.
    static func sessionState(_ output: String) -> SessionState {
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("BGP state:") {
                return SessionState(name: trimmed.dropFirst("BGP state:".count).trimmingCharacters(in: .whitespaces))
            }
        }
        return .idle
    }

    /// The protocols whose neighbour is restarting in `show protocols all` output: BIRD keeps their routes as
    /// stale (RFC 4724 §4.2) and says `Neighbor graceful restart active` until the neighbour's End-of-RIB; its
    /// route listing has no per-route mark for this.
    static func restartingProtocols(_ output: String) -> Set<String> {
        var restarting: Set<String> = []
        var current: Substring?
        for line in output.split(separator: "\n") {
            if line.first?.isWhitespace == false {
                current = line.hasPrefix("BIRD ") || line.hasPrefix("Name ") ? nil : line.split(separator: " ").first
            } else if let current, line.contains("Neighbor graceful restart active") {
                restarting.insert(String(current))
            }
        }
        return restarting
    }

    /// The state column of `neighbor`'s line in `show bfd sessions`:
    /// `10.9.0.2   veth-rtr   Up   10:00:00.000   0.100   0.300`.
    static func bfdState(_ output: String, neighbor: IPAddress) -> String? {
        for line in output.split(separator: "\n") {
            let columns = line.split(separator: " ")
            if columns.count >= 3, IPAddress(String(columns[0])) == neighbor { return String(columns[2]) }
        }
        return nil
    }
}
