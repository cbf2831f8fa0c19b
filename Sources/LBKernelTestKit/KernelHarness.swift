public import LBKernel
import Logging
public import ServiceLifecycle

/// Runs a ``Kernel`` with the given sources and announcers in a real `ServiceGroup` (as `lbd run` does) for the
/// duration of a test body, then shuts it down gracefully and waits for every service to end.
///
/// ```swift
/// let source = ScriptedSource(initial: snapshot)
/// let announcer = RecordingAnnouncer()
/// try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
///     try await announcer.waitForSet { !$0.isEmpty }
/// }
/// #expect(announcer.withdrewOnShutdown)
/// ```
public enum KernelHarness {
    /// Runs `body` while the kernel runs; returns its result after a graceful shutdown of the whole group.
    @discardableResult
    public static func run<T: Sendable>(
        node: Node = Node(name: "node-a"), staticPolicy: Policy = .empty,
        coalescingDelay: Duration = .milliseconds(5), retryDelay: Duration = .milliseconds(50),
        sources: [any AddressSource], announcers: [any Announcer],
        allocator: any AddressAllocator = PoolAllocator(),
        body: @escaping @Sendable (ServiceGroup) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "lbd.test")
        logger.logLevel = .warning
        let kernel = Kernel(
            configuration: Kernel.Configuration(node: node, staticPolicy: staticPolicy,
                                                coalescingDelay: coalescingDelay, retryDelay: retryDelay),
            sources: sources, announcers: announcers, allocator: allocator, logger: logger)
        let services: [any ServiceLifecycle.Service] = announcers + sources + [kernel]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map {
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            let result: T
            do {
                result = try await body(group)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
