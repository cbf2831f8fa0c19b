import Foundation
import LBKernel
import Logging
import ServiceLifecycle
import UnixSignals

/// A custom lbd binary: the built-in file source and log announcer plus `AddressFileAnnouncer`.
///
/// Usage: `CustomAnnouncerExample PLUGINS_DIR [NODE]` — runs until SIGTERM/SIGINT;
/// `CustomAnnouncerExample --conformance` runs the test kit's announcer conformance check on the announcer.
@main
struct CustomLBD {
    static func main() async throws {
        let arguments = CommandLine.arguments
        if arguments.count == 2 && arguments[1] == "--conformance" {
            exit(try await ConformanceRun.run() ? 0 : 1)
        }
        guard arguments.count >= 2 else {
            print("usage: \(arguments[0]) PLUGINS_DIR [NODE] | --conformance")
            return
        }
        // 1. The registry: the only list of plugins this binary links. Typed: a plugin in the wrong role
        //    does not compile.
        var registry = PluginRegistry()
        registry.register(source: FileSource.self)
        registry.register(announcer: LogAnnouncer.self)
        registry.register(announcer: AddressFileAnnouncer.self)

        // 2. Build the plugins from plugins.d (every problem names its file, line and key).
        let node = Node(name: arguments.count > 2 ? arguments[2] : "node-a")
        let logger = Logger(label: "custom-lbd")
        let plugins: [(file: PluginFile, instance: PluginInstance)]
        do {
            plugins = try registry.load(directory: arguments[1]) { file in
                PluginContext(instanceName: file.name, logger: logger, node: node,
                              baseDirectory: LBDConfiguration.directory(of: file.path))
            }
        } catch {
            for problem in error.problems { print(problem) }
            exit(1)
        }
        let sources = plugins.compactMap { if case .source(let s) = $0.instance { s } else { nil } }
        let announcers = plugins.compactMap { if case .announcer(let a) = $0.instance { a } else { nil } }

        // 3. Run the kernel with them; the group stops the kernel first and the announcers last.
        let kernel = Kernel(configuration: Kernel.Configuration(node: node), sources: sources, announcers: announcers)
        let services: [any ServiceLifecycle.Service] = announcers + sources + [kernel]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map {
                .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
