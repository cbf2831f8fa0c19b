import BGPPlugin
import LBKernel
import KubeSourcePlugin
import Layer2Plugin

/// The only list of plugins linked into this lbd binary.
///
/// A plugin module adds one line here (and a dependency in Package.swift); nothing else in lbd names plugins.
enum BuiltInPlugins {
    /// A registry with every linked plugin.
    static func registry() -> PluginRegistry {
        var registry = PluginRegistry()
        registry.register(source: FileSource.self)
        registry.register(source: KubeSource.self)
        registry.register(announcer: LogAnnouncer.self)
        registry.register(announcer: BGPAnnouncer.self)
        registry.register(announcer: Layer2Announcer.self)
        return registry
    }
}
