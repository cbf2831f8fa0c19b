public import LBKernel

extension BGPAnnouncer {
    /// The BGP speaker's keys in its `plugins.d/` file (besides `plugin: bgp` and `name:`), decoded strictly.
    ///
    /// These are node-wide settings; the peers themselves, with their per-peer settings, come from the policy
    /// (`bgpPeers`, MetalLB's `BGPPeer`). Every key is optional:
    ///
    /// ```yaml
    /// plugin: bgp
    /// name: routers
    /// listen: auto
    /// listenAddresses: [192.0.2.10, 2001:db8::10]
    /// listenPort: 179
    /// routerID: 192.0.2.10
    /// holdTime: 90s
    /// connectRetry: {initial: 1s, maximum: 2m}
    /// gracefulRestartTime: 120s
    /// extendedMessages: true
    /// keepRoutesOnShutdown: false
    /// passwordFiles:
    ///   tor-a: /etc/lbd/secrets/tor-a.password
    /// ```
    public struct Configuration: Decodable, Sendable, Hashable {
        /// When lbd accepts incoming BGP connections from its peers (connections from other addresses are
        /// refused): `auto` (the default) from when this node first has a `passive` peer; `always` from when it first
        /// has any peer. The listening socket then stays open.
        public var listen: Listen
        /// The local addresses to listen on; empty (the default) listens on `::`, which takes connections of both
        /// families (IPv4 as IPv4-mapped addresses). Useful when another BGP daemon on the host owns port 179 on
        /// other addresses.
        public var listenAddresses: [IPAddress]
        /// The TCP port to listen on (default 179, RFC 4271 §8.2.1); peers' own ports (`peerPort`) are where lbd
        /// connects to.
        public var listenPort: UInt16
        /// The BGP identifier for every session whose peer sets no `routerID`; nil (the default) derives it per
        /// session as MetalLB does (see ``RouterID``). RFC 6286 §2.1 forbids 0.0.0.0.
        public var routerID: IPv4Address?
        /// The hold time proposed to peers that set neither `holdTime` nor `keepaliveTime` (default 90 s, MetalLB's
        /// native default): 0 (no keepalives) or 3 s to 65535 s, whole seconds (RFC 4271 §4.2).
        public var holdTime: GoDuration
        /// The delays between connection attempts to a peer that sets no `connectTime`.
        public var connectRetry: ConnectRetry
        /// How long peers keep lbd's routes while lbd restarts, for peers with `enableGracefulRestart` (default
        /// 120 s, FRR's and BIRD's default): whole seconds from 1 s to 4095 s (RFC 4724 §3, a 12-bit field).
        public var gracefulRestartTime: GoDuration
        /// Whether lbd offers the extended message capability (default true, RFC 8654): when the peer offers it
        /// too, UPDATEs may be up to 65535 bytes instead of 4096, so a large table takes 16× fewer messages.
        public var extendedMessages: Bool
        /// Whether a graceful shutdown (SIGTERM) leaves the routes on peers that negotiated graceful restart
        /// (default false: every route is withdrawn with a Cease). When true, lbd closes those sessions without a
        /// NOTIFICATION, so the peers keep the routes as stale for `gracefulRestartTime` and the restarted lbd
        /// replaces them, ending with End-of-RIB (RFC 4724 §4.2): a planned restart then loses no traffic. Peers
        /// without graceful restart get the Cease either way.
        public var keepRoutesOnShutdown: Bool
        /// TCP-MD5 passwords from files, by peer name: for peers whose policy names a `passwordSecret` (which plain
        /// hosts cannot read) or that should keep the password out of policy files. Relative paths resolve against
        /// the plugin file's directory; each file is read when the peer is configured (see ``PeerPassword``).
        public var passwordFiles: [String: String]

        /// When lbd listens for incoming connections.
        ///
        /// Listening is not needed to reach routers that accept connections: lbd connects to them, as MetalLB's native
        /// speaker does (which never listens). It is needed for `passive` peers, and it lets a router that restarts
        /// connect at once instead of waiting for lbd's next attempt (up to ``ConnectRetry/maximum`` away after a long
        /// outage); RFC 4271 §6.8 then settles connections opened from both sides at once. Listening on port 179
        /// needs root or `CAP_NET_BIND_SERVICE`, and clashes with another BGP daemon on the host (Calico's BIRD on
        /// Kubernetes nodes, a host FRR), hence `auto`.
        public enum Listen: String, Hashable, Sendable, CaseIterable, Decodable {
            /// Listen once this node has a `passive` peer.
            case auto
            /// Listen once this node has any peer.
            case always

            /// Whether `peers`, the BGP peers of this node, need lbd to listen.
            public func listens(for peers: [BGPPeer]) -> Bool {
                switch self {
                case .auto: peers.contains { $0.passive }
                case .always: !peers.isEmpty
                }
            }
        }

        /// The delays between connection attempts (RFC 4271 §8.1.1 ConnectRetryTimer, with backoff as MetalLB's
        /// native speaker): the first retry after `initial`, each next one twice as late, at most `maximum`; back to
        /// `initial` once a session is established.
        public struct ConnectRetry: Decodable, Sendable, Hashable {
            /// The first delay (default 1 s).
            public var initial: GoDuration
            /// The longest delay (default 2 min).
            public var maximum: GoDuration

            /// The default first delay.
            public static let defaultInitial = GoDuration(seconds: 1)
            /// The default longest delay.
            public static let defaultMaximum = GoDuration(seconds: 120)

            /// Creates the delays.
            public init(initial: GoDuration = defaultInitial, maximum: GoDuration = defaultMaximum) {
                self.initial = initial
                self.maximum = maximum
            }

            enum CodingKeys: String, CodingKey, CaseIterable { case initial, maximum }

            /// Decodes the delays: `initial` at least 10 ms, `maximum` not below `initial`.
            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                initial = try c.decodeIfPresent(GoDuration.self, forKey: .initial) ?? Self.defaultInitial
                maximum = try c.decodeIfPresent(GoDuration.self, forKey: .maximum) ?? max(Self.defaultMaximum, initial)
                if initial.nanoseconds < 10_000_000 {
                    throw DecodingError.dataCorruptedError(forKey: .initial, in: c,
                                                           debugDescription: "must be at least 10ms, found \(initial)")
                }
                if maximum < initial {
                    throw DecodingError.dataCorruptedError(
                        forKey: .maximum, in: c,
                        debugDescription: "must not be shorter than initial (\(initial)), found \(maximum)")
                }
            }
        }

        /// The default of ``listenPort``.
        public static let defaultListenPort: UInt16 = 179
        /// The default of ``holdTime``.
        public static let defaultHoldTime = GoDuration(seconds: 90)
        /// The default of ``gracefulRestartTime``.
        public static let defaultGracefulRestartTime = GoDuration(seconds: 120)

        /// Creates a configuration; the defaults are those of an empty plugin file.
        public init(listen: Listen = .auto, listenAddresses: [IPAddress] = [], listenPort: UInt16 = defaultListenPort,
                    routerID: IPv4Address? = nil, holdTime: GoDuration = defaultHoldTime,
                    connectRetry: ConnectRetry = ConnectRetry(),
                    gracefulRestartTime: GoDuration = defaultGracefulRestartTime, extendedMessages: Bool = true,
                    keepRoutesOnShutdown: Bool = false,
                    passwordFiles: [String: String] = [:]) {
            self.listen = listen
            self.listenAddresses = listenAddresses
            self.listenPort = listenPort
            self.routerID = routerID
            self.holdTime = holdTime
            self.connectRetry = connectRetry
            self.gracefulRestartTime = gracefulRestartTime
            self.extendedMessages = extendedMessages
            self.keepRoutesOnShutdown = keepRoutesOnShutdown
            self.passwordFiles = passwordFiles
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case listen, listenAddresses, listenPort, routerID, holdTime, connectRetry, gracefulRestartTime,
                 extendedMessages, keepRoutesOnShutdown, passwordFiles
        }

        /// Decodes the configuration, checking every value against the rule it breaks.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            listen = try c.decodeIfPresent(Listen.self, forKey: .listen) ?? .auto
            listenAddresses = try c.decodeIfPresent([IPAddress].self, forKey: .listenAddresses) ?? []
            listenPort = try c.decodeIfPresent(UInt16.self, forKey: .listenPort) ?? Self.defaultListenPort
            holdTime = try c.decodeIfPresent(GoDuration.self, forKey: .holdTime) ?? Self.defaultHoldTime
            connectRetry = try c.decodeIfPresent(ConnectRetry.self, forKey: .connectRetry) ?? ConnectRetry()
            gracefulRestartTime = try c.decodeIfPresent(GoDuration.self, forKey: .gracefulRestartTime)
                ?? Self.defaultGracefulRestartTime
            extendedMessages = try c.decodeIfPresent(Bool.self, forKey: .extendedMessages) ?? true
            keepRoutesOnShutdown = try c.decodeIfPresent(Bool.self, forKey: .keepRoutesOnShutdown) ?? false
            passwordFiles = try c.decodeIfPresent([String: String].self, forKey: .passwordFiles) ?? [:]
            routerID = nil
            if let text = try c.decodeIfPresent(String.self, forKey: .routerID) {
                guard let id = IPv4Address(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .routerID, in: c,
                        debugDescription: "'\(text)' is not an IPv4 address (a router ID is 32 bits, RFC 6286)")
                }
                routerID = id
            }

            func invalid(_ key: CodingKeys, _ message: String) -> DecodingError {
                DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: message)
            }
            if listenPort == 0 { throw invalid(.listenPort, "must be a port from 1 to 65535") }
            if Set(listenAddresses).count != listenAddresses.count {
                throw invalid(.listenAddresses, "an address is listed twice")
            }
            if routerID?.value == 0 {
                throw invalid(.routerID, "0.0.0.0 is not a valid BGP identifier (RFC 6286 §2.1); omit it to derive one")
            }
            if !Self.isWholeSeconds(holdTime) || holdTime.nanoseconds < 0 || holdTime > GoDuration(seconds: 65535)
                || (holdTime.nanoseconds > 0 && holdTime < GoDuration(seconds: 3)) {
                throw invalid(.holdTime, "a hold time is 0 (no keepalives) or whole seconds from 3s to 65535s"
                              + " (RFC 4271 §4.2), found \(holdTime)")
            }
            if !Self.isWholeSeconds(gracefulRestartTime) || gracefulRestartTime < GoDuration(seconds: 1)
                || gracefulRestartTime > GoDuration(seconds: 4095) {
                throw invalid(.gracefulRestartTime, "the restart time is whole seconds from 1s to 4095s"
                              + " (12 bits, RFC 4724 §3), found \(gracefulRestartTime)")
            }
            for (peer, path) in passwordFiles.sorted(by: { $0.key < $1.key }) where peer.isEmpty || path.isEmpty {
                throw invalid(.passwordFiles, peer.isEmpty ? "a peer name must not be empty"
                                                           : "the file of peer '\(peer)' must not be empty")
            }
        }

        private static func isWholeSeconds(_ duration: GoDuration) -> Bool {
            duration.nanoseconds % 1_000_000_000 == 0
        }
    }
}
