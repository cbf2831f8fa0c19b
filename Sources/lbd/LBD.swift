import ArgumentParser
import LBKernel

/// The lbd command line.
@main
struct LBD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lbd",
        abstract: "A load balancer for bare-metal networks: service addresses from pools, announced by ARP/NDP or BGP.",
        discussion: """
            lbd reads lbd.yaml and the plugin files of plugins.d/ beside it. Each plugin file names a plugin kind \
            (`plugin:`) and an instance name (`name:`): sources publish services and policy, announcers make the \
            network reach this node's addresses. MetalLB configuration (the legacy ConfigMap or metallb.io \
            resources) can be used as policy as it is, or converted with `lbd convert`.

            Start with `lbd check`, then `lbd plan`, then `lbd run`.
            """,
        version: LBDVersion.text,
        subcommands: [RunCommand.self, CheckCommand.self, PlanCommand.self, ConvertCommand.self,
                      VersionCommand.self])
}

/// The version of this build.
enum LBDVersion {
    static let text = "0.1.0"
}

/// `lbd version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print lbd's version and the plugins linked into this binary.")

    func run() {
        print("lbd \(LBDVersion.text)")
        for (kind, role) in BuiltInPlugins.registry().kinds { print("plugin \(kind) (\(role.rawValue))") }
    }
}
