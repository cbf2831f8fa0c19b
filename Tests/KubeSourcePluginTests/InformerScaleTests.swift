// InformerScaleTests: an informer over 10,000 Services (listed in pages of 500), then 1,000 created at once; the
// figures are printed (debug build here: about 1.7 s to list 10,000, 0.7 s to see 1,000 new, ~80 snapshots).
import Foundation
@testable import KubeSourcePlugin
import KubeTestServer
import Synchronization
import Testing

@Suite("Informer at scale")
struct InformerScaleTests {
    @Test("10,000 Services listed in pages, then 1,000 more created at once all seen")
    func tenThousand() async throws {
        let fixture = try await ServerFixture()
        for index in 0..<10_000 { try fixture.createService("s\(index)", namespace: "ns\(index % 50)") }
        var options = fastInformer
        options.pageSize = 500
        let started = ContinuousClock.now
        let running = RunningInformer<TestService>(client: fixture.client, path: "/api/v1/services", options: options)
        try await running.waitUntil("10,000 listed", timeout: .seconds(60)) { $0.count == 10_000 }
        let listed = ContinuousClock.now - started
        #expect(fixture.lists() == 20)
        try await eventually("the watch is open") { fixture.watches() == 1 }
        let burst = ContinuousClock.now
        for index in 0..<1_000 { try fixture.createService("burst\(index)") }
        try await running.waitUntil("1,000 more seen", timeout: .seconds(60)) { $0.count == 11_000 }
        let seen = ContinuousClock.now - burst
        let publishes = running.latest.withLock { $0.count }
        print("scale: listed 10,000 in \(listed), 1,000 created seen in \(seen), \(publishes) snapshots")
        await running.stop()
        await fixture.close()
    }
}
