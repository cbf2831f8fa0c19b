public import LBKernel

extension PeerSession {
    /// What the announcer hears from a session, in order.
    public enum Event: Sendable {
        /// The session is Established: send the full table, then End-of-RIB, with this generation.
        case established(Established)
        /// The Established session ended; its generation's sends now fail.
        case down(SessionDownReason)
        /// The peer asked for the routes of this family again (ROUTE-REFRESH, RFC 2918 §4): resend the full
        /// table of that family on the current generation.
        case routeRefresh(AddressFamily)
    }

    /// An Established session: what the announcer needs to build and send UPDATEs.
    public struct Established: Sendable {
        /// Our address on the connection (the next hop for routes of its family).
        public var localAddress: IPAddress
        /// The peer's address on the connection.
        public var peerAddress: IPAddress
        /// Our link-local address on the interface towards the peer, for an IPv6 session with an on-link peer
        /// (the second next hop of RFC 2545 §3); nil otherwise.
        public var localLinkLocal: IPv6Address?
        /// What the OPEN exchange settled.
        public var negotiated: NegotiatedSession
        /// The codec options of this session's messages.
        public var codecOptions: BGPCodecOptions
        /// This session's number: it grows with every Established, so sends meant for an earlier session fail.
        public var generation: UInt64

        /// Creates the record.
        public init(localAddress: IPAddress, peerAddress: IPAddress, localLinkLocal: IPv6Address?,
                    negotiated: NegotiatedSession, codecOptions: BGPCodecOptions, generation: UInt64) {
            self.localAddress = localAddress
            self.peerAddress = peerAddress
            self.localLinkLocal = localLinkLocal
            self.negotiated = negotiated
            self.codecOptions = codecOptions
            self.generation = generation
        }
    }

    /// Counters of one session, over its whole life unless named otherwise.
    public struct Statistics: Hashable, Sendable {
        /// UPDATEs received (ignored: lbd keeps no received routes).
        public var updatesReceived = 0
        /// UPDATEs received during the current (or last) Established session.
        public var updatesReceivedThisSession = 0
        /// Received UPDATEs with an RFC 7606 error that did not reset the session (included in the count above).
        public var malformedUpdatesIgnored = 0
        /// UPDATEs written by ``PeerSession/send(generation:_:)``.
        public var updatesSent = 0
        /// ROUTE-REFRESH requests received and passed on.
        public var routeRefreshesReceived = 0
        /// Outgoing connection attempts.
        public var connectAttempts = 0
        /// Outgoing connection attempts that timed out (with TCP-MD5, a sign of a password mismatch).
        public var connectTimeouts = 0
        /// Incoming connections accepted for this peer.
        public var incomingConnections = 0
        /// Incoming connections closed at once (the session was Established, or stopped).
        public var incomingRejected = 0
        /// Connection collisions resolved (RFC 4271 §6.8).
        public var collisions = 0
        /// Times the session reached Established.
        public var established = 0

        /// Creates zero counters.
        public init() {}
    }
}
