import Foundation

/// The main configuration file of lbd (`lbd.yaml`): which node this is, where the plugins are, and policy files
/// that apply whatever the sources say.
///
/// ```yaml
/// node:
///   name: edge-1              # default: the host name
///   labels: {rack: r1}        # matched by nodeSelectors
/// pluginsDirectory: plugins.d # default: plugins.d beside this file
/// policyFiles: [pools.yaml]   # lbd or MetalLB policy, loaded at start (default: none)
/// coalescingDelay: 50ms       # wait for more snapshots before reconciling (default 50ms)
/// logLevel: info              # trace, debug, info, notice, warning, error, critical (default info)
/// ```
public struct LBDConfiguration: Hashable, Sendable, Decodable {
    /// This node: its name and labels.
    public var node: Node
    /// The plugins directory; relative paths are relative to the configuration file's directory.
    public var pluginsDirectory: String
    /// Policy files (lbd's schema or MetalLB's) that the kernel merges with the sources' policy.
    public var policyFiles: [String]
    /// How long the kernel waits for more snapshots before reconciling.
    public var coalescingDelay: GoDuration
    /// The log level.
    public var logLevel: String

    /// The log levels `logLevel` accepts.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Creates a configuration with the defaults.
    public init(node: Node, pluginsDirectory: String = "plugins.d", policyFiles: [String] = [],
                coalescingDelay: GoDuration = GoDuration(nanoseconds: 50_000_000), logLevel: String = "info") {
        self.node = node
        self.pluginsDirectory = pluginsDirectory
        self.policyFiles = policyFiles
        self.coalescingDelay = coalescingDelay
        self.logLevel = logLevel
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case node, pluginsDirectory, policyFiles, coalescingDelay, logLevel
    }

    /// Decodes `lbd.yaml`; every key is optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decodeIfPresent(Node.self, forKey: .node) ?? Node(name: LBDConfiguration.hostName)
        pluginsDirectory = try c.decodeIfPresent(String.self, forKey: .pluginsDirectory) ?? "plugins.d"
        policyFiles = try c.decodeIfPresent([String].self, forKey: .policyFiles) ?? []
        coalescingDelay = try c.decodeIfPresent(GoDuration.self, forKey: .coalescingDelay)
            ?? GoDuration(nanoseconds: 50_000_000)
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? "info"
        guard LBDConfiguration.logLevels.contains(logLevel) else {
            throw DecodingError.dataCorruptedError(
                forKey: .logLevel, in: c,
                debugDescription: "'\(logLevel)' is not a log level (\(LBDConfiguration.logLevels.joined(separator: ", ")))")
        }
        guard coalescingDelay.nanoseconds >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .coalescingDelay, in: c,
                                                   debugDescription: "must not be negative")
        }
    }

    /// This host's name, the default node name.
    public static var hostName: String { ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost" }

    /// Reads and decodes a configuration file; `nodeName` (from the command line) overrides `node.name`.
    public static func load(path: String) throws(ConfigError) -> LBDConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError([ConfigProblem(.io, "cannot read configuration: \(error.localizedDescription)",
                                             location: SourceLocation(file: path))])
        }
        let documents: [YAMLNode]
        do { documents = try YAMLNode.documents(in: text, file: path) } catch { throw ConfigError([error]) }
        guard documents.count <= 1 else {
            throw ConfigError([ConfigProblem(.wrongType, "lbd.yaml holds one YAML document",
                                             location: documents[1].location)])
        }
        guard let root = documents.first else {
            return try StrictYAMLDecoder().decode(LBDConfiguration.self,
                                                  from: YAMLNode(.mapping([]), location: SourceLocation(file: path)))
        }
        return try StrictYAMLDecoder().decode(LBDConfiguration.self, from: root)
    }

    /// The directory of `path` (`.` for a bare file name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `path` resolved against `directory` unless it is absolute, with `.` and `dir/..` segments removed.
    public static func resolve(_ path: String, against directory: String) -> String {
        normalize(path.hasPrefix("/") ? path : (directory == "." ? path : directory + "/" + path))
    }

    /// Removes `.` segments and `name/..` pairs lexically (`demo/../plugins.d` is `plugins.d`).
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute, parts.isEmpty {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
