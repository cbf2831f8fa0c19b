import ArgumentParser
import LBKernel
import Logging
import ServiceLifecycle
import UnixSignals

/// `lbd run`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run lbd: allocate addresses and announce them until SIGTERM or SIGINT.",
        discussion: """
            Reads the configuration (see `lbd check`), starts every plugin of the plugins directory and the \
            kernel. SIGTERM or SIGINT shuts lbd down gracefully: the kernel stops first, then the sources, then \
            the announcers, which withdraw everything they announced. A second signal cancels at once.
            Exit status: 0 after a graceful shutdown, 1 when the configuration is invalid or a plugin fails.
            """)

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let bootstrapLogger = Logger(label: "lbd")
        let setup: Setup
        do { setup = try Setup.load(options, logger: bootstrapLogger) } catch { throw fail(with: error) }
        let level = Logger.Level(rawValue: setup.configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "lbd")
        logger.logLevel = level
        let node = setup.configuration.node
        let kernel = Kernel(
            configuration: Kernel.Configuration(
                node: node, staticPolicy: setup.staticPolicy, staticNodes: setup.staticNodes,
                coalescingDelay: setup.configuration.coalescingDelay.duration),
            sources: setup.sources, announcers: setup.announcers, allocator: PoolAllocator(),
            logger: Logger(label: "lbd.kernel"))
        // A ServiceGroup shuts services down in reverse order: kernel, then sources, then announcers.
        let services: [any ServiceLifecycle.Service] = setup.announcers + setup.sources + [kernel]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map {
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger))
        logger.info("lbd \(LBDVersion.text) starting on node \(node.name) with \(setup.plugins.count) plugin(s) from \(setup.pluginsDirectory)")
        do {
            try await group.run()
        } catch {
            logger.critical("lbd stopped: \(error)")
            throw ExitCode(1)
        }
        logger.info("lbd stopped")
    }
}
