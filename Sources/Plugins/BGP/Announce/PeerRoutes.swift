public import LBKernel

/// Which routes of this node's desired set one peer gets, and with which attributes: pure, so every rule is
/// table-tested.
///
/// The rules:
/// - a route goes to the peers its advertisement names, or to every peer when it names none;
/// - a prefix asked for by several routes (several advertisements, or several services aggregated into one
///   prefix) is sent once, with the union of their communities and large communities and the highest LOCAL_PREF
///   any of them sets (the kernel's reconciler already rejects conflicting LOCAL_PREFs; this keeps the result
///   independent of order anyway);
/// - ORIGIN is IGP; AS_PATH is empty towards iBGP peers (RFC 4271 §5.1.2) and our AS towards eBGP peers;
///   LOCAL_PREF goes to iBGP peers only (RFC 4271 §5.1.5); MULTI_EXIT_DISC is never set;
/// - the next hop is this node's address of the prefix's family towards the peer (``Session``);
/// - a prefix of a family the session does not carry, or has no next hop for, is not sent, and counted under a
///   ``NotSentReason``.
public enum PeerRoutes {
    /// The routes for one peer, and the routes held back with why.
    public struct Selection: Equatable, Sendable {
        /// The routes to send.
        public var table: RouteTable
        /// How many distinct prefixes meant for this peer are not sent, by reason.
        public var notSent: [NotSentReason: Int]

        /// Creates a selection.
        public init(table: RouteTable = RouteTable(), notSent: [NotSentReason: Int] = [:]) {
            self.table = table
            self.notSent = notSent
        }
    }

    /// Selects the routes of `desired` for `peer` over `session`.
    public static func select(_ desired: DesiredSet, for peer: BGPPeer, session: Session) -> Selection {
        let families: [IPFamily: NotSentReason?] = [
            .ipv4: reason(.ipv4, session), .ipv6: reason(.ipv6, session),
        ]
        var wanted: [IPPrefix: Wanted] = [:]
        var held: [NotSentReason: Set<IPPrefix>] = [:]
        for service in desired.services.values {
            for route in service.bgp where route.peers.isEmpty || route.peers.contains(peer.name) {
                if let reason = families[route.prefix.family]! {
                    held[reason, default: []].insert(route.prefix)
                    continue
                }
                wanted[route.prefix, default: Wanted()].add(route)
            }
        }

        var table = RouteTable()
        // Hash what the routes ask for, not the full attributes: the next hop (per family) and AS path are the
        // session's.
        var indices: [IPFamily: [Wanted: Int]] = [.ipv4: [:], .ipv6: [:]]
        let asPath = session.isInternal ? [] : [session.localAS]
        for (prefix, want) in wanted {
            let index: Int
            if let known = indices[prefix.family]![want] {
                index = known
            } else {
                index = table.intern(attributes(want, family: prefix.family, asPath: asPath, session: session))
                indices[prefix.family]![want] = index
            }
            table.insert(prefix, attributeIndex: index)
        }
        return Selection(table: table, notSent: held.mapValues(\.count))
    }

    /// Why no route of `family` can be sent over `session`, or nil when they can.
    private static func reason(_ family: IPFamily, _ session: Session) -> NotSentReason? {
        if !session.families.contains(.unicast(family)) { return .familyNotNegotiated(.unicast(family)) }
        if session.nextHop(for: family) == nil { return .noNextHop(family) }
        return nil
    }

    /// The attributes for a prefix of `family` that the routes in `want` ask for.
    private static func attributes(_ want: Wanted, family: IPFamily, asPath: [UInt32],
                                   session: Session) -> RouteAttributes {
        var communities: [UInt32] = []
        var large: [LargeCommunity] = []
        for community in want.communities {
            switch community {
            case .standard(let high, let low): communities.append(RouteAttributes.communityValue(high, low))
            case .large(let a, let b, let c): large.append(LargeCommunity(a, b, c))
            }
        }
        return RouteAttributes(asPath: asPath, nextHop: session.nextHop(for: family)!,
                               localPref: session.isInternal ? want.localPref : nil,
                               communities: communities, largeCommunities: large)
    }

    /// What the routes for one prefix ask for, merged.
    private struct Wanted: Hashable {
        var localPref: UInt32?
        /// Sorted, each once (``BGPRoute/communities`` is sorted; the union keeps it so).
        var communities: [BGPCommunity] = []

        /// Merges one more route: the first one's communities are taken as they are (no copy).
        mutating func add(_ route: BGPRoute) {
            if let pref = route.localPref { localPref = max(localPref ?? pref, pref) }
            if communities.isEmpty {
                communities = route.communities
            } else if !route.communities.isEmpty, route.communities != communities {
                communities = Array(Set(communities).union(route.communities)).sorted()
            }
        }
    }
}
