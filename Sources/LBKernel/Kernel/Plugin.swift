public import Logging

/// A statically linked component built from its configuration file in `plugins.d/`.
///
/// A plugin is also an ``AddressSource`` or an ``Announcer``; ``PluginRegistry`` registers it in that role, so a
/// plugin in the wrong role fails to compile.
public protocol Plugin: Sendable {
    /// The plugin's configuration: the keys of its file other than `plugin:` and `name:`, decoded strictly.
    associatedtype Configuration: Decodable & Sendable

    /// The value of `plugin:` that selects this plugin (`file`, `log`, `bgp`, …).
    static var kind: String { get }

    /// Builds the plugin; must not start work (that happens in `run()`).
    init(configuration: Configuration, context: PluginContext) throws
}

/// What a plugin gets from lbd besides its configuration.
public struct PluginContext: Sendable {
    /// The instance name (`name:` of its file).
    public var instanceName: String
    /// A logger labelled with the plugin's kind and name.
    public var logger: Logger
    /// The node lbd runs on.
    public var node: Node
    /// The directory relative paths in the plugin's configuration resolve against.
    public var baseDirectory: String

    /// Creates a context.
    public init(instanceName: String, logger: Logger, node: Node, baseDirectory: String) {
        self.instanceName = instanceName
        self.logger = logger
        self.node = node
        self.baseDirectory = baseDirectory
    }

    /// `path` made absolute against ``baseDirectory`` (absolute paths are returned as they are).
    public func resolve(_ path: String) -> String {
        if baseDirectory.isEmpty { return LBDConfiguration.normalize(path) }
        return LBDConfiguration.resolve(path, against: baseDirectory)
    }
}
