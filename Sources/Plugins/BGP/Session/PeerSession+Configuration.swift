public import LBKernel

extension PeerSession {
    /// What one session needs: the peer as configured, its resolved password, and the state machine's settings.
    public struct Configuration: Sendable {
        /// The peer as configured (address, port, source address, multihop, VRF, passive, …).
        public var peer: BGPPeer
        /// The TCP-MD5 password (RFC 2385), resolved from `password` or `passwordSecret`, or nil for none.
        public var password: String?
        /// The state machine's settings: local AS and router ID, hold and keepalive times, families, graceful
        /// restart, extended messages, connect-retry backoff, passive.
        public var session: SessionConfiguration
        /// How long one TCP connect may take: the peer's `connectTime`, else 10 s. The connect-retry timer may
        /// abandon an attempt earlier.
        public var connectTimeout: Duration
        /// The longest wait for the Cease to be written and the connection closed when the session stops.
        public var shutdownTimeout: Duration
        /// The Cease sent when ``PeerSession/run()``'s task is cancelled.
        public var shutdownReason: SessionStopReason
        /// How many connection attempts in a row must time out, with a password set, before the log suggests a
        /// TCP-MD5 mismatch (the kernel drops badly signed SYNs without an answer).
        public var md5MismatchHintAfter: Int

        /// Creates the configuration of a session with `peer`, speaking as `routerID`.
        ///
        /// `password` defaults to the peer's inline password; `families` to the peer's address family (both with
        /// `dualStackAddressFamily`); `gracefulRestarting` sets the R bit until the first Established (RFC 4724 §3).
        public init(peer: BGPPeer, routerID: IPv4Address, password: String? = nil, families: [AddressFamily]? = nil,
                    gracefulRestarting: Bool = false, extendedMessages: Bool = false, seed: UInt64 = 0) {
            var session = SessionConfiguration(peer: peer, routerID: routerID, families: families,
                                               gracefulRestarting: gracefulRestarting, seed: seed)
            session.extendedMessages = extendedMessages
            self.init(peer: peer, password: password ?? peer.password, session: session)
        }

        /// Creates a configuration field by field.
        public init(peer: BGPPeer, password: String?, session: SessionConfiguration,
                    connectTimeout: Duration? = nil, shutdownTimeout: Duration = .seconds(3),
                    shutdownReason: SessionStopReason = .administrativeShutdown(message: nil),
                    md5MismatchHintAfter: Int = 3) {
            self.peer = peer
            self.password = password.flatMap { $0.isEmpty ? nil : $0 }
            self.session = session
            self.connectTimeout = connectTimeout
                ?? peer.connectTime.flatMap { $0.nanoseconds > 0 ? $0.duration : nil }
                ?? .seconds(10)
            self.shutdownTimeout = shutdownTimeout
            self.shutdownReason = shutdownReason
            self.md5MismatchHintAfter = md5MismatchHintAfter
        }
    }
}
