public import LBKernel

extension Layer2Announcer {
    /// The Layer 2 announcer's keys in its `plugins.d/` file (besides `plugin: layer2` and `name:`), decoded strictly.
    ///
    /// Which addresses are announced, from which nodes and on which interfaces comes from the policy
    /// (`layer2Advertisements`, MetalLB's `L2Advertisement`); this file holds the node-wide settings. Only the
    /// heartbeat key is required:
    ///
    /// ```yaml
    /// plugin: layer2
    /// name: lan
    /// excludeInterfaces: ["^docker.*", "^veth.*", "^lo$"]
    /// interfaceScanInterval: 1s
    /// heartbeat:
    ///   keyFile: /etc/lbd/heartbeat.key
    ///   interval: 100ms
    ///   deadAfter: 3
    /// gratuitous: {repeatEvery: 1s, repeatFor: 5s}
    /// handoverTimeout: 2s
    /// statusFile: /run/lbd/layer2-lan.json
    /// ```
    public struct Configuration: Decodable, Sendable, Hashable {
        /// Regular expressions of interface names never announced on unless an advertisement names the interface
        /// (default: MetalLB's list, ``InterfaceSelection/defaultExclusions``: `^docker.*`, `^veth.*`, `^cni.*`, …).
        /// An empty list excludes nothing.
        public var excludeInterfaces: [String]
        /// How often the host's interfaces are re-read (default 1 s): interfaces that appear, go down, come back
        /// or change their MAC address are followed within this time. 100 ms to 1 min.
        public var interfaceScanInterval: GoDuration
        /// The heartbeats lbd nodes exchange to learn within a fraction of a second which of them are alive.
        public var heartbeat: Membership.Configuration
        /// How gratuitous ARP / unsolicited Neighbor Advertisements are repeated after a takeover.
        public var gratuitous: Gratuitous
        /// How long a node that hands an address over keeps answering for it while waiting for the next owner's
        /// announcement (default 2 s): make-before-break. 0 s to 1 min.
        public var handoverTimeout: GoDuration
        /// Where the plugin writes its state as JSON (owners, live nodes, interfaces, counters) on every change, or
        /// nil (the default) for no file. Relative paths resolve against the plugin file's directory.
        public var statusFile: String?

        /// How a takeover is announced: at once, then again every ``repeatEvery`` until ``repeatFor`` has passed.
        ///
        /// One announcement moves a Linux client at once (an ARP request with sender = target, an ARP reply whose
        /// target MAC is the sender's, an NA with the Override flag); the repeats are for clients and switches that
        /// lost or ignored the first one.
        public struct Gratuitous: Decodable, Sendable, Hashable {
            /// The time between two announcements (default 1 s; 10 ms to 1 min).
            public var repeatEvery: GoDuration
            /// How long announcements are repeated after a takeover (default 5 s; 0 s sends only the first; up to
            /// 10 min).
            public var repeatFor: GoDuration

            /// The default of ``repeatEvery``.
            public static let defaultRepeatEvery = GoDuration(seconds: 1)
            /// The default of ``repeatFor``.
            public static let defaultRepeatFor = GoDuration(seconds: 5)

            /// Creates the schedule.
            public init(repeatEvery: GoDuration = defaultRepeatEvery, repeatFor: GoDuration = defaultRepeatFor) {
                self.repeatEvery = repeatEvery
                self.repeatFor = repeatFor
            }

            enum CodingKeys: String, CodingKey, CaseIterable { case repeatEvery, repeatFor }

            /// Decodes the schedule, checking the ranges.
            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                repeatEvery = try c.decodeIfPresent(GoDuration.self, forKey: .repeatEvery) ?? Self.defaultRepeatEvery
                repeatFor = try c.decodeIfPresent(GoDuration.self, forKey: .repeatFor) ?? Self.defaultRepeatFor
                if repeatEvery < .milliseconds(10) || repeatEvery > GoDuration(seconds: 60) {
                    throw DecodingError.dataCorruptedError(forKey: .repeatEvery, in: c,
                                                           debugDescription: "must be from 10ms to 1m, found \(repeatEvery)")
                }
                if repeatFor.nanoseconds < 0 || repeatFor > GoDuration(seconds: 600) {
                    throw DecodingError.dataCorruptedError(forKey: .repeatFor, in: c,
                                                           debugDescription: "must be from 0s to 10m, found \(repeatFor)")
                }
            }
        }

        /// The default of ``interfaceScanInterval``.
        public static let defaultInterfaceScanInterval = GoDuration(seconds: 1)
        /// The default of ``handoverTimeout``.
        public static let defaultHandoverTimeout = GoDuration(seconds: 2)

        /// Creates a configuration; `heartbeat` must carry a key.
        public init(excludeInterfaces: [String] = InterfaceSelection.defaultExclusions,
                    interfaceScanInterval: GoDuration = defaultInterfaceScanInterval,
                    heartbeat: Membership.Configuration, gratuitous: Gratuitous = Gratuitous(),
                    handoverTimeout: GoDuration = defaultHandoverTimeout, statusFile: String? = nil) {
            self.excludeInterfaces = excludeInterfaces
            self.interfaceScanInterval = interfaceScanInterval
            self.heartbeat = heartbeat
            self.gratuitous = gratuitous
            self.handoverTimeout = handoverTimeout
            self.statusFile = statusFile
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case excludeInterfaces, interfaceScanInterval, heartbeat, gratuitous, handoverTimeout, statusFile
        }

        /// Decodes the configuration, checking every value against the rule it breaks.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            excludeInterfaces = try c.decodeIfPresent([String].self, forKey: .excludeInterfaces)
                ?? InterfaceSelection.defaultExclusions
            interfaceScanInterval = try c.decodeIfPresent(GoDuration.self, forKey: .interfaceScanInterval)
                ?? Self.defaultInterfaceScanInterval
            guard c.contains(.heartbeat) else {
                throw DecodingError.keyNotFound(CodingKeys.heartbeat, DecodingError.Context(
                    codingPath: c.codingPath,
                    debugDescription: "heartbeat: required, with `key` or `keyFile` (the secret the nodes share)"))
            }
            heartbeat = try c.decode(Membership.Configuration.self, forKey: .heartbeat)
            gratuitous = try c.decodeIfPresent(Gratuitous.self, forKey: .gratuitous) ?? Gratuitous()
            handoverTimeout = try c.decodeIfPresent(GoDuration.self, forKey: .handoverTimeout)
                ?? Self.defaultHandoverTimeout
            statusFile = try c.decodeIfPresent(String.self, forKey: .statusFile)

            func invalid(_ key: CodingKeys, _ message: String) -> DecodingError {
                DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: message)
            }
            for pattern in excludeInterfaces {
                do { _ = try InterfacePattern(pattern) } catch {
                    throw invalid(.excludeInterfaces, "\(error)")
                }
            }
            if interfaceScanInterval < .milliseconds(100) || interfaceScanInterval > GoDuration(seconds: 60) {
                throw invalid(.interfaceScanInterval, "must be from 100ms to 1m, found \(interfaceScanInterval)")
            }
            if handoverTimeout.nanoseconds < 0 || handoverTimeout > GoDuration(seconds: 60) {
                throw invalid(.handoverTimeout, "must be from 0s to 1m, found \(handoverTimeout)")
            }
            if statusFile?.isEmpty == true { throw invalid(.statusFile, "must not be empty; omit it for no file") }
        }
    }
}

fileprivate extension GoDuration {
    /// `n` milliseconds.
    static func milliseconds(_ n: Int64) -> GoDuration { GoDuration(nanoseconds: n * 1_000_000) }
}
