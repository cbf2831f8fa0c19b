public import LBKernel

extension KubeSource {
    /// The Kubernetes source's keys in its `plugins.d/` file (besides `plugin: kubernetes` and `name:`), decoded
    /// strictly. Every key is optional:
    ///
    /// ```yaml
    /// plugin: kubernetes
    /// name: cluster
    /// kubeconfig: /etc/lbd/kubeconfig     # absent: in-cluster (service account)
    /// context: ""                         # the kubeconfig context; absent: its current-context
    /// namespace: lbd-system               # where the metallb.io objects, their Secrets and the Lease live
    /// loadBalancerClass: ""               # "": only Services without a class; a name: only that class
    /// legacyConfigMap: ""                 # a MetalLB ≤ 0.12 ConfigMap (key `config`) in `namespace`, or ""
    /// ignoreExcludeLabel: false           # MetalLB's --ignore-exclude-lb
    /// writeConcurrency: 16                # Service writes in flight at once
    /// requestTimeout: 30s
    /// leaderElection:
    ///   enabled: true
    ///   leaseName: lbd-allocator
    ///   leaseDuration: 15s
    ///   renewDeadline: 10s
    ///   retryPeriod: 2s
    /// ```
    public struct Configuration: Decodable, Sendable, Hashable {
        /// A kubeconfig file to connect with (token, client certificate, CA), or nil (the default) for the
        /// in-cluster configuration: the service account's token and CA and `KUBERNETES_SERVICE_HOST/PORT`.
        /// Relative paths resolve against the plugin file's directory.
        public var kubeconfig: String?
        /// The kubeconfig context to use, or nil for its `current-context`.
        public var context: String?
        /// The namespace lbd reads its configuration from (the `metallb.io` objects, the password Secrets, the
        /// legacy ConfigMap) and holds its Lease in. Default: the service account's namespace in a cluster, else the
        /// kubeconfig context's namespace, else `lbd-system`.
        public var namespace: String?
        /// Which Services lbd handles: empty or absent, only those without `spec.loadBalancerClass` (MetalLB's
        /// default); a class name, only those of that class (MetalLB's `--lb-class`).
        public var loadBalancerClass: String?
        /// The name of a MetalLB legacy ConfigMap (MetalLB ≤ 0.12, key `config`) in ``namespace`` to read as policy;
        /// empty or absent reads none.
        public var legacyConfigMap: String?
        /// Whether nodes labelled `node.kubernetes.io/exclude-from-external-load-balancers` still announce
        /// (MetalLB's `--ignore-exclude-lb`; default false).
        public var ignoreExcludeLabel: Bool
        /// How many Service writes (status, annotation) are in flight at once (default 16; 1 to 256).
        public var writeConcurrency: Int
        /// How long one API request may take before it fails and is retried (default 30 s; 1 s to 10 min). Watches
        /// are not bounded by it.
        public var requestTimeout: GoDuration
        /// The Lease that lets exactly one lbd allocate addresses at a time.
        public var leaderElection: LeaderElection

        /// The allocating role's Lease (`coordination.k8s.io/v1`), with client-go's timing rules.
        public struct LeaderElection: Decodable, Sendable, Hashable {
            /// Whether lbd takes the Lease before allocating (default true). Off, this lbd always allocates: run
            /// exactly one lbd with this source then, or addresses may be given twice.
            public var enabled: Bool
            /// The Lease's name in the source's namespace (default `lbd-allocator`).
            public var leaseName: String
            /// How long a Lease not renewed stays the holder's: after this, another lbd takes over (default 15 s).
            public var leaseDuration: GoDuration
            /// How long the holder keeps allocating while it fails to renew (default 10 s; less than
            /// ``leaseDuration``, so it stops before anyone else may start).
            public var renewDeadline: GoDuration
            /// How often the Lease is tried or renewed (default 2 s; less than ``renewDeadline``).
            public var retryPeriod: GoDuration

            /// Creates the settings.
            public init(enabled: Bool = true, leaseName: String = "lbd-allocator",
                        leaseDuration: GoDuration = GoDuration(seconds: 15),
                        renewDeadline: GoDuration = GoDuration(seconds: 10),
                        retryPeriod: GoDuration = GoDuration(seconds: 2)) {
                self.enabled = enabled
                self.leaseName = leaseName
                self.leaseDuration = leaseDuration
                self.renewDeadline = renewDeadline
                self.retryPeriod = retryPeriod
            }

            enum CodingKeys: String, CodingKey, CaseIterable {
                case enabled, leaseName, leaseDuration, renewDeadline, retryPeriod
            }

            /// Decodes the settings, checking that retryPeriod < renewDeadline < leaseDuration.
            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                let defaults = LeaderElection()
                enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? defaults.enabled
                leaseName = try c.decodeIfPresent(String.self, forKey: .leaseName) ?? defaults.leaseName
                leaseDuration = try c.decodeIfPresent(GoDuration.self, forKey: .leaseDuration) ?? defaults.leaseDuration
                renewDeadline = try c.decodeIfPresent(GoDuration.self, forKey: .renewDeadline) ?? defaults.renewDeadline
                retryPeriod = try c.decodeIfPresent(GoDuration.self, forKey: .retryPeriod) ?? defaults.retryPeriod
                if !KubeSource.isDNSSubdomain(leaseName) {
                    throw DecodingError.dataCorruptedError(
                        forKey: .leaseName, in: c,
                        debugDescription: "must be a DNS subdomain name (lower case letters, digits, '-' and '.'), found '\(leaseName)'")
                }
                if retryPeriod < GoDuration(nanoseconds: 10_000_000) {
                    throw DecodingError.dataCorruptedError(forKey: .retryPeriod, in: c,
                                                           debugDescription: "must be at least 10ms, found \(retryPeriod)")
                }
                if !(retryPeriod < renewDeadline) {
                    throw DecodingError.dataCorruptedError(
                        forKey: .renewDeadline, in: c,
                        debugDescription: "must be longer than retryPeriod (\(retryPeriod)), found \(renewDeadline)")
                }
                if !(renewDeadline < leaseDuration) {
                    throw DecodingError.dataCorruptedError(
                        forKey: .leaseDuration, in: c,
                        debugDescription: "must be longer than renewDeadline (\(renewDeadline)), found \(leaseDuration)")
                }
                if leaseDuration.nanoseconds % 1_000_000_000 != 0 {
                    throw DecodingError.dataCorruptedError(
                        forKey: .leaseDuration, in: c,
                        debugDescription: "must be whole seconds (a Lease holds leaseDurationSeconds), found \(leaseDuration)")
                }
            }
        }

        /// Creates a configuration with the defaults.
        public init(kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil,
                    loadBalancerClass: String? = nil, legacyConfigMap: String? = nil, ignoreExcludeLabel: Bool = false,
                    writeConcurrency: Int = 16, requestTimeout: GoDuration = GoDuration(seconds: 30),
                    leaderElection: LeaderElection = LeaderElection()) {
            self.kubeconfig = kubeconfig
            self.context = context
            self.namespace = namespace
            self.loadBalancerClass = loadBalancerClass
            self.legacyConfigMap = legacyConfigMap
            self.ignoreExcludeLabel = ignoreExcludeLabel
            self.writeConcurrency = writeConcurrency
            self.requestTimeout = requestTimeout
            self.leaderElection = leaderElection
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case kubeconfig, context, namespace, loadBalancerClass, legacyConfigMap, ignoreExcludeLabel
            case writeConcurrency, requestTimeout, leaderElection
        }

        /// Decodes the configuration, checking names and ranges.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func optional(_ key: CodingKeys) throws -> String? {
                guard let value = try c.decodeIfPresent(String.self, forKey: key), !value.isEmpty else { return nil }
                return value
            }
            kubeconfig = try optional(.kubeconfig)
            context = try optional(.context)
            namespace = try optional(.namespace)
            loadBalancerClass = try optional(.loadBalancerClass)
            legacyConfigMap = try optional(.legacyConfigMap)
            ignoreExcludeLabel = try c.decodeIfPresent(Bool.self, forKey: .ignoreExcludeLabel) ?? false
            writeConcurrency = try c.decodeIfPresent(Int.self, forKey: .writeConcurrency) ?? 16
            requestTimeout = try c.decodeIfPresent(GoDuration.self, forKey: .requestTimeout) ?? GoDuration(seconds: 30)
            leaderElection = try c.decodeIfPresent(LeaderElection.self, forKey: .leaderElection) ?? LeaderElection()
            if let namespace, !KubeSource.isDNSLabel(namespace) {
                throw DecodingError.dataCorruptedError(
                    forKey: .namespace, in: c,
                    debugDescription: "must be a namespace name (a DNS label: lower case letters, digits and '-', at most 63), found '\(namespace)'")
            }
            if let legacyConfigMap, !KubeSource.isDNSSubdomain(legacyConfigMap) {
                throw DecodingError.dataCorruptedError(
                    forKey: .legacyConfigMap, in: c,
                    debugDescription: "must be a ConfigMap name (a DNS subdomain), found '\(legacyConfigMap)'")
            }
            if !(1...256).contains(writeConcurrency) {
                throw DecodingError.dataCorruptedError(forKey: .writeConcurrency, in: c,
                                                       debugDescription: "must be from 1 to 256, found \(writeConcurrency)")
            }
            if requestTimeout < GoDuration(seconds: 1) || requestTimeout > GoDuration(seconds: 600) {
                throw DecodingError.dataCorruptedError(forKey: .requestTimeout, in: c,
                                                       debugDescription: "must be from 1s to 10m, found \(requestTimeout)")
            }
        }
    }

    /// True for a DNS label (RFC 1123): 1–63 of `a-z0-9-`, starting and ending alphanumeric.
    static func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    /// True for a DNS subdomain (RFC 1123): dot-separated labels, at most 253 characters.
    static func isDNSSubdomain(_ name: String) -> Bool {
        name.utf8.count <= 253 && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            isDNSLabel(String($0))
        }
    }
}
