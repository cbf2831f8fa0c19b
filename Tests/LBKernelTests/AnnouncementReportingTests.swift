import LBKernelTestKit
import ServiceLifecycle
import Testing
@testable import LBKernel

/// An announcer that reports which services it owns by Layer 2, as the test says.
private final class OwningAnnouncer: AnnouncementReporting {
    let announcementStates: AsyncStream<AnnouncementState>
    let continuation: AsyncStream<AnnouncementState>.Continuation

    init() { (announcementStates, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1)) }

    func apply(_ desired: DesiredSet) async throws {}

    func run() async throws {
        try? await gracefulShutdown()
        continuation.finish()
    }
}

/// Announcers that report what they actually announce: the kernel hands it to the sources with the next report.
@Suite(.timeLimit(.minutes(1)))
struct AnnouncementReportingTests {
    @Test func theOwnedServicesReachTheSourcesAndEachChangeReconciles() async throws {
        let web = ServiceID(namespace: "default", name: "web"), api = ServiceID(namespace: "default", name: "api")
        let policy = Policy(pools: [AddressPool(name: "p", addresses: [try AddressBlock(parsing: "10.0.0.0/29")])],
                            layer2Advertisements: [Layer2Advertisement(name: "l2")])
        let source = ScriptedSource(initial: SourceSnapshot(services: [Service(id: web), Service(id: api)],
                                                            policy: policy))
        let announcer = OwningAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            announcer.continuation.yield(AnnouncementState(layer2Owned: [web]))
            try await source.waitForReport("a report with web owned") { $0.layer2Owned == [web] }
            // Nothing else changes: the ownership change alone brings a new report.
            announcer.continuation.yield(AnnouncementState(layer2Owned: [web, api]))
            try await source.waitForReport("a report with both owned") { $0.layer2Owned == [web, api] }
        }
    }

    @Test func withoutAReportingAnnouncerOwnershipIsUnknown() async throws {
        let source = ScriptedSource(initial: SourceSnapshot(services: [Service(id: ServiceID(namespace: "d", name: "s"))]))
        try await KernelHarness.run(sources: [source], announcers: [RecordingAnnouncer()]) { _ in
            let report = try await source.waitForReport { _ in true }
            #expect(report.layer2Owned == nil)
        }
    }
}
