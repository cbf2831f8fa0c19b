import LBKernelTestKit
import Testing
@testable import LBKernel

/// The kernel loop: sources → allocator → announcers, under a real ServiceGroup.
@Suite(.timeLimit(.minutes(1)))
struct KernelTests {
    static let pool = AddressPool(name: "default", addresses: [try! AddressBlock(parsing: "10.0.0.0/29")])
    static let policy = Policy(pools: [pool], layer2Advertisements: [Layer2Advertisement(name: "l2")])

    static func service(_ name: String, _ requested: [String] = []) -> Service {
        Service(id: ServiceID(namespace: "default", name: name), requestedAddresses: requested.map { IPAddress($0)! })
    }

    static func addresses(_ set: DesiredSet, _ name: String) -> [String]? {
        set.services[ServiceID(namespace: "default", name: name)]?.addresses.map(\.description)
    }

    @Test func allocatesAnnouncesRecordsAndWithdrawsOnShutdown() async throws {
        let source = ScriptedSource(initial: SourceSnapshot(services: [Self.service("web")], policy: Self.policy))
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            let set = try await announcer.waitForSet { Self.addresses($0, "web") != nil }
            #expect(Self.addresses(set, "web") == ["10.0.0.0"])
            #expect(set.node == "node-a")
            let report = try await source.waitForReport { !$0.outcome.allocations.isEmpty }
            #expect(report.outcome.allocations[ServiceID("web")]?.pool == "default")
        }
        #expect(announcer.withdrewOnShutdown)
        #expect(announcer.current?.isEmpty == true)
    }

    @Test func aBurstOfSnapshotsIsCoalesced() async throws {
        let source = ScriptedSource()
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(coalescingDelay: .milliseconds(100), sources: [source], announcers: [announcer]) { _ in
            for count in 1...100 {
                source.publish(SourceSnapshot(services: (0..<(count % 5 + 1)).map { Self.service("s\($0)") },
                                              policy: Self.policy))
            }
            // 100 % 5 + 1 == 1 service in the last snapshot.
            try await announcer.waitForSet { $0.services.count == 1 && Self.addresses($0, "s0") != nil }
        }
        #expect(source.receivedReports.count <= 3, "100 snapshots in a burst caused \(source.receivedReports.count) reconciles")
    }

    @Test func anInvalidPolicyKeepsTheLastGoodOne() async throws {
        let source = ScriptedSource(initial: SourceSnapshot(services: [Self.service("web")], policy: Self.policy))
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            try await announcer.waitForSet { Self.addresses($0, "web") == ["10.0.0.0"] }
            var broken = Self.policy
            broken.pools.append(AddressPool(name: "overlapping", addresses: [try! AddressBlock(parsing: "10.0.0.4/30")]))
            let services = [Self.service("web"), Self.service("api")]
            source.publish(SourceSnapshot(services: services, policy: broken))
            // The new service is still allocated, from the last good policy (which has no pool "overlapping").
            let set = try await announcer.waitForSet { Self.addresses($0, "api") != nil }
            #expect(Self.addresses(set, "web") == ["10.0.0.0"])
            #expect(Self.addresses(set, "api") == ["10.0.0.1"])
            let report = try await source.waitForReport { $0.outcome.allocations.count == 2 }
            #expect(report.outcome.allocations.values.allSatisfy { $0.pool == "default" })
        }
    }

    @Test func nothingIsAllocatedBeforeAValidPolicy() async throws {
        var broken = Self.policy
        broken.pools.append(Self.pool)  // duplicate name
        let source = ScriptedSource(initial: SourceSnapshot(services: [Self.service("web")], policy: broken,
                                                            recorded: [ServiceID("web"): [IPAddress("10.0.0.5")!]]))
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            source.publish(SourceSnapshot(services: [Self.service("web")], policy: Self.policy,
                                          recorded: [ServiceID("web"): [IPAddress("10.0.0.5")!]]))
            let set = try await announcer.waitForSet { Self.addresses($0, "web") != nil }
            #expect(Self.addresses(set, "web") == ["10.0.0.5"], "the recorded address must survive the broken policy")
        }
        #expect(source.receivedReports.allSatisfy { $0.outcome.allocations[ServiceID("web")]?.addresses == [IPAddress("10.0.0.5")!] })
    }

    @Test func recordedAddressesAreReplayedBeforeNewServices() async throws {
        // "b" is new and sorts before nothing in particular; "z" holds 10.0.0.0 from before a restart.
        let snapshot = SourceSnapshot(services: [Self.service("a"), Self.service("z")], policy: Self.policy,
                                      recorded: [ServiceID("z"): [IPAddress("10.0.0.0")!]])
        let source = ScriptedSource(initial: snapshot)
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            let set = try await announcer.waitForSet { $0.services.count == 2 }
            #expect(Self.addresses(set, "z") == ["10.0.0.0"])
            #expect(Self.addresses(set, "a") == ["10.0.0.1"])
        }
    }

    @Test func theKernelWaitsForEverySource() async throws {
        let first = ScriptedSource(initial: SourceSnapshot(policy: Self.policy))
        let second = ScriptedSource()
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [first, second], announcers: [announcer]) { _ in
            second.publish(SourceSnapshot(services: [Self.service("web", ["10.0.0.3"])]))
            let set = try await announcer.waitForSet { !$0.isEmpty }
            #expect(Self.addresses(set, "web") == ["10.0.0.3"])
            // Before the second source published, no reconcile could have handed anything out.
            #expect(announcer.appliedSets.first.map { Self.addresses($0, "web") } == ["10.0.0.3"])
        }
    }

    @Test func aFailingAnnouncerIsRetried() async throws {
        let source = ScriptedSource(initial: SourceSnapshot(services: [Self.service("web")], policy: Self.policy))
        let announcer = RecordingAnnouncer()
        announcer.failNext(2)
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            try await announcer.waitForSet { Self.addresses($0, "web") == ["10.0.0.0"] }
        }
    }

    @Test func aServiceDeletedReleasesItsAddressForAPendingOne() async throws {
        let tiny = Policy(pools: [AddressPool(name: "one", addresses: [try! AddressBlock(parsing: "10.9.0.1/32")])],
                          layer2Advertisements: [Layer2Advertisement(name: "l2")])
        let source = ScriptedSource(initial: SourceSnapshot(services: [Self.service("a"), Self.service("b")], policy: tiny))
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            let report = try await source.waitForReport { !$0.outcome.failures.isEmpty }
            #expect(report.outcome.failures[ServiceID("b")]?.code == .poolExhausted)
            source.publish(SourceSnapshot(services: [Self.service("b")], policy: tiny))
            let set = try await announcer.waitForSet { Self.addresses($0, "b") != nil }
            #expect(Self.addresses(set, "b") == ["10.9.0.1"])
        }
    }
}
