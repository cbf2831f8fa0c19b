import LBKernelTestKit
import Testing
@testable import LBKernel

/// Sources that do not allocate (an lbd without the allocator Lease): their services hold exactly their recorded
/// addresses; the kernel never picks one for them.
@Suite(.timeLimit(.minutes(1)))
struct FollowedAllocationsTests {
    static let policy = Policy(pools: [
        AddressPool(name: "a", addresses: [try! AddressBlock(parsing: "10.0.0.0/29")]),
        AddressPool(name: "b", addresses: [try! AddressBlock(parsing: "10.0.1.0/29"),
                                           try! AddressBlock(parsing: "fd00::/125")]),
    ], layer2Advertisements: [Layer2Advertisement(name: "l2")])

    static func id(_ name: String) -> ServiceID { ServiceID(namespace: "default", name: name) }
    static func service(_ name: String) -> Service { Service(id: id(name)) }
    static func ips(_ texts: String...) -> [IPAddress] { texts.map { IPAddress($0)! } }

    @Test func recordedAddressesAreTakenAsTheyAreInThePoolThatHoldsThem() {
        let services = ["pending", "v4", "dual", "nowhere", "split"].map(Self.service)
        let recorded: [ServiceID: [IPAddress]] = [
            Self.id("v4"): Self.ips("10.0.0.5"),  // not the first free: kept as it is
            Self.id("dual"): Self.ips("fd00::3", "10.0.1.2"),
            Self.id("nowhere"): Self.ips("192.0.2.1"),
            Self.id("split"): Self.ips("10.0.0.1", "fd00::1"),
        ]
        let (allocations, failures) = FollowedAllocations.resolve(services: services, recorded: recorded,
                                                                  policy: Self.policy)
        #expect(allocations == [
            Self.id("v4"): Allocation(addresses: Self.ips("10.0.0.5"), pool: "a"),
            Self.id("dual"): Allocation(addresses: Self.ips("fd00::3", "10.0.1.2"), pool: "b"),
        ])
        #expect(failures[Self.id("nowhere")]?.code == .addressNotInAnyPool)
        #expect(failures[Self.id("nowhere")]?.message.contains("192.0.2.1") == true)
        #expect(failures[Self.id("split")]?.code == .invalidRequest)
        #expect(allocations[Self.id("pending")] == nil && failures[Self.id("pending")] == nil,
                "a service without recorded addresses waits: no address, no failure")
    }

    @Test func theKernelAnnouncesOnlyRecordedAddressesUntilTheSourceAllocates() async throws {
        let web = Self.id("web"), api = Self.id("api")
        let recorded = [web: Self.ips("10.0.0.6")]
        let source = ScriptedSource(initial: SourceSnapshot(services: [Self.service("web"), Self.service("api")],
                                                            policy: Self.policy, recorded: recorded,
                                                            allocates: false))
        let announcer = RecordingAnnouncer()
        try await KernelHarness.run(sources: [source], announcers: [announcer]) { _ in
            let set = try await announcer.waitForSet { $0.services[web] != nil }
            #expect(set.services[web]?.addresses == Self.ips("10.0.0.6"))
            #expect(set.services[api] == nil, "a follower must not pick an address of its own")
            let report = try await source.waitForReport { $0.outcome.allocations[web] != nil }
            #expect(report.outcome.allocations[api] == nil)

            // The allocating lbd writes api's address: the follower announces exactly that one.
            source.publish(SourceSnapshot(services: [Self.service("web"), Self.service("api")], policy: Self.policy,
                                          recorded: [web: Self.ips("10.0.0.6"), api: Self.ips("10.0.0.3")],
                                          allocates: false))
            let followed = try await announcer.waitForSet { $0.services[api] != nil }
            #expect(followed.services[api]?.addresses == Self.ips("10.0.0.3"))

            // The Lease is won: this lbd allocates from here on, keeping both recorded addresses.
            source.publish(SourceSnapshot(services: [Self.service("web"), Self.service("api"), Self.service("new")],
                                          policy: Self.policy,
                                          recorded: [web: Self.ips("10.0.0.6"), api: Self.ips("10.0.0.3")]))
            let leading = try await announcer.waitForSet { $0.services[Self.id("new")] != nil }
            #expect(leading.services[web]?.addresses == Self.ips("10.0.0.6"))
            #expect(leading.services[api]?.addresses == Self.ips("10.0.0.3"))
            #expect(leading.services[Self.id("new")]?.addresses == Self.ips("10.0.0.0"))
        }
    }

    @Test func mergedInputsNameTheServicesOfSourcesThatDoNotAllocate() {
        let merged = MergedInputs(snapshots: [
            SourceSnapshot(services: [Self.service("followed")], allocates: false),
            SourceSnapshot(services: [Self.service("allocated"), Self.service("followed")]),
        ], node: Node(name: "a"))
        #expect(merged.followedServices == [Self.id("followed")])
        #expect(merged.duplicateServices == [Self.id("followed")])
    }
}
