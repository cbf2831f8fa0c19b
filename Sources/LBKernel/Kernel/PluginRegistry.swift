import Foundation

/// One plugin built from a file: a source or an announcer.
public enum PluginInstance: Sendable {
    /// An address source.
    case source(any AddressSource)
    /// An announcer.
    case announcer(any Announcer)
}

/// A plugin file of `plugins.d/` as read: its kind, its instance name and the rest of its keys.
public struct PluginFile: Sendable {
    /// The file's path.
    public var path: String
    /// The value of `plugin:`.
    public var kind: String
    /// The value of `name:`.
    public var name: String
    /// The other keys, the plugin's own configuration.
    public var configuration: YAMLNode

    /// Reads and splits a plugin file.
    public init(path: String) throws(ConfigError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError([ConfigProblem(.io, "cannot read plugin file: \(error.localizedDescription)",
                                             location: SourceLocation(file: path))])
        }
        try self.init(path: path, text: text)
    }

    /// Splits a plugin file's text.
    public init(path: String, text: String) throws(ConfigError) {
        let documents: [YAMLNode]
        do { documents = try YAMLNode.documents(in: text, file: path) } catch { throw ConfigError([error]) }
        guard documents.count == 1, let root = documents.first, let entries = root.entries else {
            throw ConfigError([ConfigProblem(
                .wrongType, "a plugin file holds one YAML mapping with `plugin:`, `name:` and the plugin's keys",
                location: SourceLocation(file: path, line: documents.first?.location.line))])
        }
        var problems: [ConfigProblem] = []
        func value(_ key: String) -> String? {
            guard let entry = root.entry(key) else {
                problems.append(ConfigProblem(.missingKey, "required key '\(key)' is missing", field: key,
                                              location: root.location))
                return nil
            }
            guard let value = entry.value.scalar, !value.isEmpty else {
                problems.append(ConfigProblem(.wrongType, "'\(key)' must be a non-empty name", field: key,
                                              location: entry.value.location))
                return nil
            }
            return value
        }
        let kind = value("plugin"), name = value("name")
        guard let kind, let name, problems.isEmpty else { throw ConfigError(problems) }
        self.path = path
        self.kind = kind
        self.name = name
        let rest = entries.filter { $0.key != "plugin" && $0.key != "name" }
        configuration = YAMLNode(.mapping(rest), location: root.location)
    }
}

/// The plugins lbd can build, by kind: a value built in `main`, never a global.
///
/// Registration is typed: `register(source:)` takes only types that are both ``Plugin`` and ``AddressSource``,
/// `register(announcer:)` only ``Plugin`` and ``Announcer``, so a plugin in the wrong role fails to compile.
public struct PluginRegistry: Sendable {
    /// The role a registered kind plays.
    public enum Role: String, Sendable, Hashable {
        /// An address source.
        case source
        /// An announcer.
        case announcer
    }

    struct Entry: Sendable {
        var role: Role
        var build: @Sendable (YAMLNode, PluginContext) throws -> PluginInstance
    }

    private var entries: [String: Entry] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers an address source plugin under its `kind`.
    public mutating func register<P: Plugin & AddressSource>(source type: P.Type) {
        add(P.kind, Entry(role: .source) { node, context in
            .source(try P(configuration: try StrictYAMLDecoder().decode(P.Configuration.self, from: node),
                          context: context))
        })
    }

    /// Registers an announcer plugin under its `kind`.
    public mutating func register<P: Plugin & Announcer>(announcer type: P.Type) {
        add(P.kind, Entry(role: .announcer) { node, context in
            .announcer(try P(configuration: try StrictYAMLDecoder().decode(P.Configuration.self, from: node),
                             context: context))
        })
    }

    private mutating func add(_ kind: String, _ entry: Entry) {
        precondition(entries[kind] == nil, "plugin kind '\(kind)' registered twice")
        entries[kind] = entry
    }

    /// The registered kinds and their roles, sorted by kind.
    public var kinds: [(kind: String, role: Role)] {
        entries.keys.sorted().map { ($0, entries[$0]!.role) }
    }

    /// Builds the plugin a file describes.
    ///
    /// - Throws: ``ConfigError`` naming the file when the kind is unknown, the configuration is invalid, or the
    ///   plugin refuses it.
    public func instantiate(_ file: PluginFile, context: PluginContext) throws(ConfigError) -> PluginInstance {
        guard let entry = entries[file.kind] else {
            let known = entries.keys.sorted().joined(separator: ", ")
            throw ConfigError([ConfigProblem(
                .unknownReference, "unknown plugin kind '\(file.kind)'; this lbd has: \(known)", field: "plugin",
                location: SourceLocation(file: file.path, line: file.configuration.location.line))])
        }
        do {
            return try entry.build(file.configuration, context)
        } catch let error as ConfigError {
            throw error
        } catch let problem as ConfigProblem {
            throw ConfigError([problem])
        } catch {
            throw ConfigError([ConfigProblem(.invalidValue, "plugin '\(file.name)' (\(file.kind)): \(error)",
                                             location: SourceLocation(file: file.path))])
        }
    }

    /// The plugin files of a directory: every `*.yaml` and `*.yml`, in name order.
    public static func pluginFiles(in directory: String) throws(ConfigError) -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ConfigError([ConfigProblem(.io, "cannot read the plugins directory: \(error.localizedDescription)",
                                             location: SourceLocation(file: directory))])
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { base + $0 }
    }

    /// Reads every plugin file of `directory` and builds the plugins; all problems are collected.
    ///
    /// - Parameter makeContext: the context for a plugin file (its logger, node and base directory).
    /// - Throws: ``ConfigError`` with one problem per bad file, an unknown kind or a duplicate `name:` (naming
    ///   both files).
    public func load(directory: String, makeContext: (PluginFile) -> PluginContext)
        throws(ConfigError) -> [(file: PluginFile, instance: PluginInstance)] {
        var problems: [ConfigProblem] = []
        var loaded: [(file: PluginFile, instance: PluginInstance)] = []
        var names: [String: String] = [:]
        for path in try PluginRegistry.pluginFiles(in: directory) {
            do {
                let file = try PluginFile(path: path)
                if let other = names[file.name] {
                    problems.append(ConfigProblem(
                        .duplicate, "plugin name '\(file.name)' is already used by \(other); names must be unique",
                        field: "name", location: SourceLocation(file: path)))
                    continue
                }
                names[file.name] = path
                loaded.append((file, try instantiate(file, context: makeContext(file))))
            } catch {
                problems += error.problems
            }
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return loaded
    }
}
