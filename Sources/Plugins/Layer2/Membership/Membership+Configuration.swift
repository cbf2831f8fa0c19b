public import LBKernel

extension Membership {
    /// The heartbeat settings: the `heartbeat:` section of the layer2 plugin file, decoded strictly (an unknown
    /// key is an error).
    ///
    /// Every key is optional except the key itself (`key` or `keyFile`, exactly one):
    ///
    /// ```yaml
    /// heartbeat:
    ///   port: 7947
    ///   group: 239.255.76.68
    ///   peers: []
    ///   interval: 100ms
    ///   deadAfter: 3
    ///   keyFile: heartbeat.key
    ///   maxClockSkew: 10s
    /// ```
    ///
    /// A node is declared dead `deadAfter` × `interval` (plus half an interval) after its last beat: 350 ms with
    /// the defaults, 17.5 ms at 5ms × 3. Every node of a segment needs the same `port`, `group` and key; intervals
    /// may differ (each beat announces its sender's).
    public struct Configuration: Decodable, Sendable, Hashable, CustomStringConvertible {
        /// The UDP port heartbeats are sent to and received on (default 7947); each layer2 plugin instance on a
        /// host needs its own.
        public var port: UInt16
        /// The IPv4 multicast group the beats go to (default 239.255.76.68, in the organization-local scope of
        /// RFC 2365), sent with TTL 1 on each announcing interface and joined there (the kernel sends the IGMP
        /// reports, so switches with IGMP snooping forward it). Unused when ``peers`` is set.
        public var group: IPv4Address
        /// Unicast destinations instead of multicast (default none: multicast): the addresses of every node,
        /// which may include this one (its own beats are then recognised and ignored). Beats go to each address
        /// at ``port``; IPv6 addresses work too, except link-local ones (they need an interface).
        public var peers: [IPAddress]
        /// How often this node beats (default 100ms, at least 5ms, at most 1m, whole milliseconds); each beat
        /// comes within ±10 % of it, at random, so nodes started together do not beat in step.
        public var interval: GoDuration
        /// How many intervals of a node may pass without a beat before it is declared dead (default 3, at least 2).
        public var deadAfter: Int
        /// The shared key as text (at least 16 octets); or use ``keyFile``.
        public var key: String?
        /// A file holding the shared key (at least 16 octets, one trailing newline ignored), such as a Kubernetes
        /// Secret mounted as a file; a relative path resolves against the plugin file's directory.
        public var keyFile: String?
        /// More keys accepted from other nodes but never used to sign (default none), for changing the key
        /// without a gap: add the new key here everywhere, then make it `keyFile` (and the old one an accepted
        /// key) everywhere, then drop the old one. Relative paths resolve like ``keyFile``'s.
        public var acceptKeyFiles: [String]
        /// The largest accepted difference between a beat's timestamp and this node's clock (default 10s, at
        /// least 1ms): nodes need synchronized clocks (NTP), and a captured beat can be replayed for no longer.
        public var maxClockSkew: GoDuration

        /// The default of ``port``.
        public static let defaultPort: UInt16 = 7947
        /// The default of ``group``.
        public static let defaultGroup = IPv4Address(239, 255, 76, 68)
        /// The default of ``interval``.
        public static let defaultInterval = GoDuration(nanoseconds: 100_000_000)
        /// The shortest ``interval``.
        public static let minimumInterval = GoDuration(nanoseconds: 5_000_000)
        /// The longest ``interval``.
        public static let maximumInterval = GoDuration(seconds: 60)
        /// The default of ``deadAfter``.
        public static let defaultDeadAfter = 3
        /// The default of ``maxClockSkew``.
        public static let defaultMaxClockSkew = GoDuration(seconds: 10)

        /// Creates a configuration (unchecked: the decoder checks the values read from a file).
        public init(port: UInt16 = defaultPort, group: IPv4Address = defaultGroup, peers: [IPAddress] = [],
                    interval: GoDuration = defaultInterval, deadAfter: Int = defaultDeadAfter, key: String? = nil,
                    keyFile: String? = nil, acceptKeyFiles: [String] = [],
                    maxClockSkew: GoDuration = defaultMaxClockSkew) {
            self.port = port
            self.group = group
            self.peers = peers
            self.interval = interval
            self.deadAfter = deadAfter
            self.key = key
            self.keyFile = keyFile
            self.acceptKeyFiles = acceptKeyFiles
            self.maxClockSkew = maxClockSkew
        }

        /// The keys to authenticate with: ``key`` or the content of ``keyFile`` first (it signs), then those of
        /// ``acceptKeyFiles``; files are resolved against `directory` when relative, and read now.
        public func keys(relativeTo directory: String? = nil) throws(HeartbeatKeyError) -> [HeartbeatKey] {
            func load(_ file: String) throws(HeartbeatKeyError) -> HeartbeatKey {
                if let directory, !file.hasPrefix("/") { return try HeartbeatKey.load(file: "\(directory)/\(file)") }
                return try HeartbeatKey.load(file: file)
            }
            var keys: [HeartbeatKey] = []
            if let key {
                keys.append(try HeartbeatKey(key))
            } else if let keyFile {
                keys.append(try load(keyFile))
            } else {
                throw HeartbeatKeyError(.unreadable, file: nil, message: "neither key nor keyFile is set")
            }
            for file in acceptKeyFiles { keys.append(try load(file)) }
            return keys
        }

        /// The interval in whole milliseconds, as heartbeats announce it.
        public var intervalMilliseconds: UInt32 {
            UInt32(clamping: max(1, interval.nanoseconds / 1_000_000))
        }

        /// The settings without the key (`key: <redacted>`), for logs.
        public var description: String {
            "heartbeat(port: \(port), " + (peers.isEmpty ? "group: \(group)" : "peers: \(peers)")
                + ", interval: \(interval), deadAfter: \(deadAfter), "
                + (key != nil ? "key: <redacted>" : "keyFile: \(keyFile ?? "none")") + ", maxClockSkew: \(maxClockSkew))"
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case port, group, peers, interval, deadAfter, key, keyFile, acceptKeyFiles, maxClockSkew
        }

        /// Decodes the settings, checking every value against the rule it breaks (the error names the key).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func invalid(_ key: CodingKeys, _ message: String) -> DecodingError {
                DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: message)
            }
            port = try c.decodeIfPresent(UInt16.self, forKey: .port) ?? Self.defaultPort
            group = Self.defaultGroup
            if let text = try c.decodeIfPresent(String.self, forKey: .group) {
                guard let address = IPv4Address(text) else {
                    throw invalid(.group, "'\(text)' is not an IPv4 address")
                }
                group = address
            }
            peers = try c.decodeIfPresent([IPAddress].self, forKey: .peers) ?? []
            interval = try c.decodeIfPresent(GoDuration.self, forKey: .interval) ?? Self.defaultInterval
            deadAfter = try c.decodeIfPresent(Int.self, forKey: .deadAfter) ?? Self.defaultDeadAfter
            key = try c.decodeIfPresent(String.self, forKey: .key)
            keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
            acceptKeyFiles = try c.decodeIfPresent([String].self, forKey: .acceptKeyFiles) ?? []
            maxClockSkew = try c.decodeIfPresent(GoDuration.self, forKey: .maxClockSkew) ?? Self.defaultMaxClockSkew

            if port == 0 { throw invalid(.port, "must be a port from 1 to 65535") }
            if group.value >> 28 != 0xE {
                throw invalid(.group, "\(group) is not a multicast address (224.0.0.0/4); 239.255.0.0/16 suits a site")
            }
            for peer in peers {
                if let problem = Self.peerProblem(peer) { throw invalid(.peers, "\(peer) \(problem)") }
            }
            if Set(peers).count != peers.count { throw invalid(.peers, "an address is listed twice") }
            if acceptKeyFiles.contains(where: \.isEmpty) { throw invalid(.acceptKeyFiles, "a file must not be empty") }
            if interval < Self.minimumInterval { throw invalid(.interval, "must be at least 5ms, found \(interval)") }
            if interval > Self.maximumInterval { throw invalid(.interval, "must be at most 1m, found \(interval)") }
            if interval.nanoseconds % 1_000_000 != 0 {
                throw invalid(.interval, "must be whole milliseconds (beats announce it in ms), found \(interval)")
            }
            if deadAfter < 2 { throw invalid(.deadAfter, "must be at least 2, found \(deadAfter)") }
            if deadAfter > 1000 { throw invalid(.deadAfter, "must be at most 1000, found \(deadAfter)") }
            if maxClockSkew.nanoseconds < 1_000_000 {
                throw invalid(.maxClockSkew, "must be at least 1ms, found \(maxClockSkew)")
            }
            switch (key, keyFile) {
            case (nil, nil):
                throw DecodingError.dataCorrupted(.init(
                    codingPath: c.codingPath,
                    debugDescription: "a shared key is required: set keyFile (a file, e.g. a mounted Secret) or key"))
            case (.some, .some):
                throw invalid(.keyFile, "set key or keyFile, not both")
            case (.some(let text), nil):
                if text.utf8.count < HeartbeatKey.minimumLength {
                    throw invalid(.key, "must be at least \(HeartbeatKey.minimumLength) octets, found "
                                  + "\(text.utf8.count) (32 random octets are best)")
                }
            case (nil, .some(let file)):
                if file.isEmpty { throw invalid(.keyFile, "must not be empty") }
            }
        }

        /// Why `peer` cannot be a unicast destination, or nil.
        private static func peerProblem(_ peer: IPAddress) -> String? {
            switch peer {
            case .v4(let a):
                if a.value == 0 { return "is the unspecified address" }
                if a.value >> 28 == 0xE { return "is a multicast address; set group instead" }
                if a.value == .max { return "is the broadcast address" }
            case .v6(let a):
                if a.value == 0 { return "is the unspecified address" }
                if a.value >> 120 == 0xFF { return "is a multicast address" }
                if a.value >> 118 == 0x3FA { return "is link-local (it needs an interface); use a global or ULA address" }
            }
            return nil
        }
    }
}
