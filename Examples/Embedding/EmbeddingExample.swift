import LBKernel
import Logging
import ServiceLifecycle
import Synchronization

/// The kernel used from another Swift program, without lbd's binary, registry or files (docs/embedding.md).
///
/// The program is its own address source (an in-memory one), uses the built-in log announcer, waits until its
/// service has an address, prints it, and shuts down gracefully. It exits with status 0 when that worked.
@main
struct EmbeddingExample {
    static func main() async throws {
        // Policy and services are plain values.
        let policy = Policy(
            pools: [AddressPool(name: "lab", addresses: [try AddressBlock(parsing: "10.99.0.10-10.99.0.20")])],
            layer2Advertisements: [Layer2Advertisement(name: "lab")])
        precondition(policy.validate().isEmpty, "the example's policy is valid")
        let web = Service(id: ServiceID(namespace: "apps", name: "web"), ports: [ServicePort(.tcp, 443)])

        let source = InMemorySource(SourceSnapshot(services: [web], policy: policy))
        let announcer = LogAnnouncer(name: "embedded") { print($0) }
        let kernel = Kernel(configuration: Kernel.Configuration(node: Node(name: "this-host")),
                            sources: [source], announcers: [announcer])
        // The group stops services in reverse order: the kernel first, the announcer (which withdraws) last.
        let services: [any ServiceLifecycle.Service] = [announcer, source, kernel]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map {
                ServiceGroupConfiguration.ServiceConfiguration(
                      service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            logger: Logger(label: "embedding")))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let allocation = await source.firstAllocation(of: web.id)
            print("web got \(allocation.addresses.map(\.description).joined(separator: ", ")) from \(allocation.pool)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// The smallest useful address source: it publishes one snapshot and hands out the allocations it records.
final class InMemorySource: AddressSource {
    let snapshots: AsyncStream<SourceSnapshot>
    private let continuation: AsyncStream<SourceSnapshot>.Continuation
    private let reports: AsyncStream<AllocationReport>
    private let reportContinuation: AsyncStream<AllocationReport>.Continuation

    init(_ snapshot: SourceSnapshot) {
        (snapshots, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (reports, reportContinuation) = AsyncStream.makeStream()
        continuation.yield(snapshot)
    }

    /// Publishes a new complete snapshot (the kernel coalesces bursts).
    func publish(_ snapshot: SourceSnapshot) { continuation.yield(snapshot) }

    func record(_ report: AllocationReport) async throws { reportContinuation.yield(report) }

    /// Waits for the first report that gives `id` an address.
    func firstAllocation(of id: ServiceID) async -> Allocation {
        for await report in reports {
            if let allocation = report.outcome.allocations[id] { return allocation }
        }
        preconditionFailure("the kernel stopped before allocating \(id)")
    }

    func run() async throws {
        try? await gracefulShutdown()
        continuation.finish()
        reportContinuation.finish()
    }
}
