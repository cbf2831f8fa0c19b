public import LBKernel

extension PeerRoutes {
    /// What route selection needs to know about an Established session: the ASes of the OPEN exchange, the
    /// families both sides negotiated and the next hops this node can give.
    ///
    /// The session shell fills it in once the session is Established: the next hops are its local addresses
    /// (the socket's local address for the transport family; for the other family, an address of that family on
    /// the interface the session leaves through, when there is one).
    public struct Session: Hashable, Sendable {
        /// The AS lbd presents in its OPEN: the peer's `localASN` when set, else `myASN`.
        public var localAS: UInt32
        /// The AS the peer presented in its OPEN (4-octet, RFC 6793).
        public var peerAS: UInt32
        /// The families both sides negotiated (``NegotiatedSession/families``): lbd offers the family of the
        /// transport, both with `dualStackAddressFamily` (``SessionConfiguration``).
        public var families: Set<AddressFamily>
        /// The NEXT_HOP for IPv4 routes, or nil when this node has no IPv4 address towards the peer.
        public var ipv4NextHop: IPv4Address?
        /// The global next hop for IPv6 routes, or nil when this node has no global IPv6 address towards the peer.
        public var ipv6NextHop: IPv6Address?
        /// The link-local address of the interface shared with the peer, sent after the global next hop when the
        /// peer is on-link (RFC 2545 §3, as FRR does); nil for a peer some hops away.
        public var ipv6LinkLocalNextHop: IPv6Address?

        /// Creates the facts of a session.
        public init(localAS: UInt32, peerAS: UInt32, families: Set<AddressFamily>, ipv4NextHop: IPv4Address? = nil,
                    ipv6NextHop: IPv6Address? = nil, ipv6LinkLocalNextHop: IPv6Address? = nil) {
            self.localAS = localAS
            self.peerAS = peerAS
            self.families = families
            self.ipv4NextHop = ipv4NextHop
            self.ipv6NextHop = ipv6NextHop
            self.ipv6LinkLocalNextHop = ipv6LinkLocalNextHop
        }

        /// The facts of an Established ``PeerSession``: the ASes and families of its OPEN exchange, its local
        /// address as the next hop of its own family (with its link-local address for an on-link IPv6 peer), and
        /// `otherFamilyAddress`, this node's address of the other family towards the peer (for
        /// `dualStackAddressFamily`; nil when the node has none, and the family's routes are then not sent).
        public init(_ established: PeerSession.Established, otherFamilyAddress: IPAddress? = nil) {
            self.init(localAS: established.negotiated.localAS, peerAS: established.negotiated.peerAS,
                      families: Set(established.negotiated.families))
            for address in [otherFamilyAddress, established.localAddress] {
                switch address {
                case .v4(let a)?: ipv4NextHop = a
                case .v6(let a)?: ipv6NextHop = a
                case nil: break
                }
            }
            if established.localAddress.family == .ipv6 { ipv6LinkLocalNextHop = established.localLinkLocal }
        }

        /// True for an internal (iBGP) session: both OPENs carry the same AS (RFC 4271 §3).
        public var isInternal: Bool { localAS == peerAS }

        /// The next hop for routes of `family`, or nil when the session has none.
        public func nextHop(for family: IPFamily) -> RouteAttributes.NextHop? {
            switch family {
            case .ipv4: ipv4NextHop.map { .ipv4($0) }
            case .ipv6: ipv6NextHop.map { .ipv6(global: $0, linkLocal: ipv6LinkLocalNextHop) }
            }
        }
    }

    /// Why routes the desired set has for a peer are not sent to it: one enum value per cause, so the announcer
    /// can log each cause once per peer instead of once per prefix.
    public enum NotSentReason: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The session did not negotiate the prefix's family: lbd did not offer it (families follow the transport
        /// unless the peer sets `dualStackAddressFamily`) or the peer did not (RFC 4760 §8).
        case familyNotNegotiated(AddressFamily)
        /// The session negotiated the family but this node has no address of it towards the peer to use as the
        /// next hop (an IPv4 route over an IPv6 session needs an IPv4 address on the interface, and vice versa).
        case noNextHop(IPFamily)

        /// Words for logs.
        public var description: String {
            switch self {
            case .familyNotNegotiated(let family):
                "the session does not carry \(family) (families follow the transport unless dualStackAddressFamily"
                    + " is set, and the peer must offer the family too)"
            case .noNextHop(let family):
                "this node has no \(family) address towards the peer to use as next hop"
            }
        }

        /// Orders family problems first, then by family.
        public static func < (lhs: NotSentReason, rhs: NotSentReason) -> Bool {
            switch (lhs, rhs) {
            case let (.familyNotNegotiated(a), .familyNotNegotiated(b)): a < b
            case let (.noNextHop(a), .noNextHop(b)): a < b
            case (.familyNotNegotiated, .noNextHop): true
            case (.noNextHop, .familyNotNegotiated): false
            }
        }
    }
}
