public import LBKernel

/// Decodes a plugin's configuration from YAML text as lbd decodes the keys of a `plugins.d/` file (strictly: an
/// unknown key or a broken rule is a ``ConfigError`` naming `file`, the line and the key), for configuration tests.
public enum PluginConfigurationText {
    /// Decodes `text` (the keys besides `plugin:` and `name:`) as `type`; errors name `file`.
    public static func decode<Configuration: Decodable>(_ type: Configuration.Type, from text: String,
                                                        file: String) throws(ConfigError) -> Configuration {
        let node: YAMLNode
        do { node = try YAMLNode.documents(in: text, file: file)[0] } catch { throw ConfigError([error]) }
        return try StrictYAMLDecoder().decode(type, from: node)
    }
}
