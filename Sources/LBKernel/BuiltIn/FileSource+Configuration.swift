extension FileSource {
    /// The file source's keys in its `plugins.d/` file (besides `plugin: file` and `name:`), decoded strictly.
    ///
    /// ```yaml
    /// plugin: file
    /// name: hosts
    /// files: [/etc/lbd/services.yaml, /etc/lbd/pools.yaml]
    /// stateFile: /var/lib/lbd/hosts.state.json
    /// pollInterval: 2s
    /// watch: auto
    /// ```
    public struct Configuration: Decodable, Sendable, Hashable {
        /// The files to read, in order; relative paths resolve against the plugin file's directory.
        public var files: [String]
        /// Where allocations are kept across restarts; nil means `/var/lib/lbd/<name>.state.json`.
        public var stateFile: String?
        /// How often files are polled when inotify cannot be used (default 2 s).
        public var pollInterval: GoDuration
        /// How changes are detected (default `auto`: inotify, falling back to polling).
        public var watch: FileWatcher.Mode

        /// The default of ``pollInterval``.
        public static let defaultPollInterval = GoDuration(seconds: 2)

        /// Creates a configuration.
        public init(files: [String], stateFile: String? = nil, pollInterval: GoDuration = defaultPollInterval,
                    watch: FileWatcher.Mode = .auto) {
            self.files = files
            self.stateFile = stateFile
            self.pollInterval = pollInterval
            self.watch = watch
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case files, stateFile, pollInterval, watch }

        /// Decodes the configuration; `files` is required and must name at least one file, each once.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            files = try c.decode([String].self, forKey: .files)
            stateFile = try c.decodeIfPresent(String.self, forKey: .stateFile)
            pollInterval = try c.decodeIfPresent(GoDuration.self, forKey: .pollInterval) ?? Self.defaultPollInterval
            watch = try c.decodeIfPresent(FileWatcher.Mode.self, forKey: .watch) ?? .auto
            if files.isEmpty {
                throw DecodingError.dataCorruptedError(forKey: .files, in: c,
                                                       debugDescription: "name at least one file")
            }
            var seen: Set<String> = []
            for file in files {
                if file.isEmpty {
                    throw DecodingError.dataCorruptedError(forKey: .files, in: c,
                                                           debugDescription: "a file name must not be empty")
                }
                if !seen.insert(file).inserted {
                    throw DecodingError.dataCorruptedError(forKey: .files, in: c,
                                                           debugDescription: "'\(file)' is listed twice")
                }
            }
            if stateFile?.isEmpty == true {
                throw DecodingError.dataCorruptedError(forKey: .stateFile, in: c,
                                                       debugDescription: "must not be empty; omit it for the default")
            }
            if pollInterval.nanoseconds < 10_000_000 {
                throw DecodingError.dataCorruptedError(forKey: .pollInterval, in: c,
                                                       debugDescription: "must be at least 10ms, found \(pollInterval)")
            }
        }

        /// The state file's path for the instance `name` before resolving: ``stateFile`` or the default.
        public func stateFilePath(instanceName name: String) -> String {
            if let stateFile { return stateFile }
            let safe = name.map { $0 == "/" ? "_" : $0 }
            return "/var/lib/lbd/\(String(safe)).state.json"
        }
    }
}
