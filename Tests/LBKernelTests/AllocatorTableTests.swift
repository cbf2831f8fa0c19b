import Testing
@testable import LBKernel

/// One reconcile of a table case: its inputs and what it must answer.
struct AllocStep: Sendable {
    var pools: [AddressPool]
    var namespaceLabels: [String: Labels]
    var services: [Service]
    /// Recorded addresses by service id text.
    var recorded: [String: [String]]
    /// By service id text: `"pool addr [addr]"`, `"!failureCode"`, or `"-"` for neither.
    var expect: [String: String]
    /// The exact `changed` set, when given.
    var changed: [String]?
}

/// A table case: one or more reconciles on one allocator.
struct AllocCase: Sendable, CustomTestStringConvertible {
    var name: String
    var steps: [AllocStep]
    var testDescription: String { name }
}

/// Table-driven checks of ``PoolAllocator``: every case asserts exact addresses (and pool) or the exact failure code.
/// The cases live in this file and in `Allocator*TableTests.swift`.
@Suite struct AllocatorTableTests {
    static var allCases: [AllocCase] {
        basicCases + explicitCases + pinnedCases + sharingCases + dualStackCases + changeCases + restartCases
    }

    @Test func thereAreAtLeastEightyCases() {
        #expect(Self.allCases.count >= 80)
    }

    @Test(arguments: allCases)
    func allocates(_ tableCase: AllocCase) {
        var allocator = PoolAllocator()
        var last = AllocationOutcome()
        var lastStep = tableCase.steps[0]
        for (n, step) in tableCase.steps.enumerated() {
            let policy = Policy(pools: step.pools, namespaceLabels: step.namespaceLabels)
            let recorded = Dictionary(uniqueKeysWithValues: step.recorded.map { key, texts in
                (ServiceID(key), texts.map { IPAddress($0)! })
            })
            let outcome = allocator.reconcile(policy: policy, services: step.services, recorded: recorded)
            for (key, want) in step.expect.sorted(by: { $0.key < $1.key }) {
                Self.check(outcome, ServiceID(key), want, "step \(n + 1)")
            }
            if let changed = step.changed {
                #expect(outcome.changed == Set(changed.map(ServiceID.init)), "step \(n + 1): changed")
            }
            for service in step.services {
                let has = (outcome.allocations[service.id] != nil ? 1 : 0) + (outcome.failures[service.id] != nil ? 1 : 0)
                #expect(has == 1, "step \(n + 1): \(service.id) needs exactly one of allocation or failure")
            }
            // An identical second reconcile changes nothing.
            var again = allocator
            let repeated = again.reconcile(policy: policy, services: step.services, recorded: recorded)
            #expect(repeated.allocations == outcome.allocations && repeated.changed.isEmpty, "step \(n + 1): repeat")
            last = outcome
            lastStep = step
        }
        // A fresh allocator given the final inputs and the allocations as recorded reproduces them.
        var fresh = PoolAllocator()
        let replay = fresh.reconcile(policy: Policy(pools: lastStep.pools, namespaceLabels: lastStep.namespaceLabels),
                                     services: lastStep.services,
                                     recorded: last.allocations.mapValues(\.addresses))
        #expect(replay.allocations == last.allocations, "replay from scratch")
    }

    static func check(_ outcome: AllocationOutcome, _ id: ServiceID, _ want: String, _ step: String) {
        let got = outcome.allocations[id].map { "\($0.pool) " + $0.addresses.map(\.description).joined(separator: " ") }
            ?? outcome.failures[id].map { "!\($0.code.rawValue)" } ?? "-"
        if want == "-" || want.hasPrefix("!") {
            #expect(got == want, "\(step): \(id)")
            if let failure = outcome.failures[id] {
                #expect(failure.message.contains(id.description), "\(step): message names the service")
            }
            return
        }
        let parts = want.split(separator: " ").map(String.init)
        let expected = Allocation(addresses: parts.dropFirst().map { IPAddress($0)! }, pool: parts[0])
        #expect(outcome.allocations[id] == expected, "\(step): \(id) got \(got)")
    }

    // MARK: - DSL

    static func pool(_ name: String, _ blocks: String..., auto: Bool = true, buggy: Bool = false,
                     pinned: AddressPool.ServiceAllocation? = nil) -> AddressPool {
        AddressPool(name: name, addresses: blocks.map { try! AddressBlock(parsing: $0) }, autoAssign: auto,
                    avoidBuggyIPs: buggy, serviceAllocation: pinned)
    }

    static func pin(_ priority: Int = 0, namespaces: [String] = [], namespaceLabels: [Labels] = [],
                    serviceLabels: [Labels] = []) -> AddressPool.ServiceAllocation {
        AddressPool.ServiceAllocation(priority: priority, namespaces: namespaces,
                                      namespaceSelectors: namespaceLabels.map { LabelSelector(matchLabels: $0) },
                                      serviceSelectors: serviceLabels.map { LabelSelector(matchLabels: $0) })
    }

    static func svc(_ id: String, key: String? = nil, ports: [String] = [], pool: String? = nil, ips: [String] = [],
                    stack: IPFamilyPolicy = .singleStack, families: [IPFamily] = [.ipv4], labels: Labels = [:],
                    local: String? = nil) -> Service {
        Service(id: ServiceID(id), labels: labels, requestedAddresses: ips.map { IPAddress($0)! },
                requestedPool: pool, sharingKey: key, ports: ports.map { ServicePort($0)! }, ipFamilyPolicy: stack,
                ipFamilies: families, trafficPolicy: local == nil ? .cluster : .local, backendKey: local ?? "")
    }

    static func v6(_ id: String, key: String? = nil, ports: [String] = [], pool: String? = nil) -> Service {
        svc(id, key: key, ports: ports, pool: pool, families: [.ipv6])
    }

    static func dual(_ id: String, _ stack: IPFamilyPolicy = .preferDualStack, families: [IPFamily] = [.ipv4, .ipv6],
                     key: String? = nil, ports: [String] = [], ips: [String] = []) -> Service {
        svc(id, key: key, ports: ports, ips: ips, stack: stack, families: families)
    }

    static func step(_ pools: [AddressPool], ns: [String: Labels] = [:], _ services: [Service],
                     recorded: [String: [String]] = [:], expect: [String: String],
                     changed: [String]? = nil) -> AllocStep {
        AllocStep(pools: pools, namespaceLabels: ns, services: services, recorded: recorded, expect: expect,
                  changed: changed)
    }

    static func one(_ name: String, _ pools: [AddressPool], ns: [String: Labels] = [:], _ services: [Service],
                    recorded: [String: [String]] = [:], expect: [String: String]) -> AllocCase {
        AllocCase(name: name, steps: [step(pools, ns: ns, services, recorded: recorded, expect: expect)])
    }

    static func steps(_ name: String, _ steps: AllocStep...) -> AllocCase {
        AllocCase(name: name, steps: steps)
    }

    static let a30 = pool("a", "10.0.0.0/30")
    static let b30 = pool("b", "10.0.1.0/30")
    static let dual30 = pool("d", "10.0.2.0/30", "2001:db8::/126")

    // MARK: - Pools, order, exhaustion, avoidBuggyIPs

    static let basicCases: [AllocCase] = [
        one("first address of a /30 is the network address", [a30], [svc("s")], expect: ["s": "a 10.0.0.0"]),
        one("services get addresses in ServiceID order", [a30], [svc("c"), svc("a"), svc("b")],
            expect: ["a": "a 10.0.0.0", "b": "a 10.0.0.1", "c": "a 10.0.0.2"]),
        one("namespace orders before name", [a30], [svc("b/x"), svc("a/y")],
            expect: ["a/y": "a 10.0.0.0", "b/x": "a 10.0.0.1"]),
        one("a range entry starts at its first address", [pool("a", "10.0.0.10-10.0.0.12")], [svc("s")],
            expect: ["s": "a 10.0.0.10"]),
        one("entries are walked in configured order", [pool("a", "10.0.1.0/31", "10.0.0.0/31")],
            [svc("s"), svc("t"), svc("u")], expect: ["s": "a 10.0.1.0", "t": "a 10.0.1.1", "u": "a 10.0.0.0"]),
        one("a full pool fails with poolExhausted", [pool("a", "10.0.0.0/31")], [svc("s"), svc("t"), svc("u")],
            expect: ["s": "a 10.0.0.0", "t": "a 10.0.0.1", "u": "!poolExhausted"]),
        one("no pools at all", [], [svc("s")], expect: ["s": "!noPoolAvailable"]),
        one("a pool without autoAssign is not used automatically", [pool("a", "10.0.0.0/30", auto: false)],
            [svc("s")], expect: ["s": "!noPoolAvailable"]),
        one("a requested pool works without autoAssign", [pool("a", "10.0.0.0/30", auto: false)],
            [svc("s", pool: "a")], expect: ["s": "a 10.0.0.0"]),
        one("an unknown requested pool", [a30], [svc("s", pool: "nope")], expect: ["s": "!unknownPool"]),
        one("a full requested pool does not fall back", [pool("a", "10.0.0.0/32"), b30],
            [svc("s", pool: "a"), svc("t", pool: "a")], expect: ["s": "a 10.0.0.0", "t": "!poolExhausted"]),
        one("plain pools are tried in name order", [b30, a30], [svc("s")], expect: ["s": "a 10.0.0.0"]),
        one("the next pool by name when the first is full", [pool("a", "10.0.0.0/32"), b30], [svc("s"), svc("t")],
            expect: ["s": "a 10.0.0.0", "t": "b 10.0.1.0"]),
        one("IPv6 single stack", [pool("a", "2001:db8::/126")], [v6("s"), v6("t")],
            expect: ["s": "a 2001:db8::", "t": "a 2001:db8::1"]),
        one("an IPv6 service and IPv4-only pools", [a30, b30], [v6("s")], expect: ["s": "!familyUnavailable"]),
        one("an IPv4 service skips an IPv6-only pool", [pool("a", "2001:db8::/126"), b30], [svc("s")],
            expect: ["s": "b 10.0.1.0"]),
        one("avoidBuggyIPs skips .0", [pool("a", "10.0.0.0/24", buggy: true)], [svc("s")],
            expect: ["s": "a 10.0.0.1"]),
        one("avoidBuggyIPs skips .255 and .0 across a boundary", [pool("a", "10.0.0.254-10.0.1.2", buggy: true)],
            [svc("s"), svc("t")], expect: ["s": "a 10.0.0.254", "t": "a 10.0.1.1"]),
        one("avoidBuggyIPs leaves a range of only .255 and .0 empty", [pool("a", "10.0.0.255-10.0.1.0", buggy: true)],
            [svc("s")], expect: ["s": "!poolExhausted"]),
        one("avoidBuggyIPs does not touch IPv6", [pool("a", "2001:db8::/120", buggy: true)], [v6("s")],
            expect: ["s": "a 2001:db8::"]),
        one("without avoidBuggyIPs .255 is handed out", [pool("a", "10.0.0.255/32")], [svc("s")],
            expect: ["s": "a 10.0.0.255"]),
        one("a /32 and a /128 hold one address each", [pool("a", "10.9.9.9/32", "2001:db8::9/128")],
            [svc("s"), v6("t"), svc("u")], expect: ["s": "a 10.9.9.9", "t": "a 2001:db8::9", "u": "!poolExhausted"]),
    ]

    // MARK: - Explicit addresses and requested pools

    static let explicitCases: [AllocCase] = [
        one("an explicit address", [a30], [svc("s", ips: ["10.0.0.2"])], expect: ["s": "a 10.0.0.2"]),
        one("an explicit address in no pool", [a30], [svc("s", ips: ["192.168.0.1"])],
            expect: ["s": "!addressNotInAnyPool"]),
        one("an explicit address in a pool without autoAssign", [pool("a", "10.0.0.0/30", auto: false)],
            [svc("s", ips: ["10.0.0.3"])], expect: ["s": "a 10.0.0.3"]),
        one("an explicit address in the requested pool", [a30, b30], [svc("s", pool: "b", ips: ["10.0.1.1"])],
            expect: ["s": "b 10.0.1.1"]),
        one("an explicit address outside the requested pool", [a30, b30], [svc("s", pool: "b", ips: ["10.0.0.1"])],
            expect: ["s": "!addressNotInRequestedPool"]),
        one("an explicit address with an unknown requested pool", [a30], [svc("s", pool: "x", ips: ["10.0.0.1"])],
            expect: ["s": "!unknownPool"]),
        one("an earlier service may take a requested address", [a30], [svc("a"), svc("b", ips: ["10.0.0.0"])],
            expect: ["a": "a 10.0.0.0", "b": "!addressInUse"]),
        one("a requested address is skipped by later services", [a30], [svc("a", ips: ["10.0.0.0"]), svc("b")],
            expect: ["a": "a 10.0.0.0", "b": "a 10.0.0.1"]),
        one("three explicit addresses", [dual30],
            [dual("s", ips: ["10.0.2.0", "2001:db8::", "10.0.2.1"])], expect: ["s": "!invalidRequest"]),
        one("two explicit addresses of one family", [a30], [dual("s", ips: ["10.0.0.0", "10.0.0.1"])],
            expect: ["s": "!invalidRequest"]),
        one("an explicit dual pair keeps the requested order", [dual30],
            [dual("s", ips: ["2001:db8::3", "10.0.2.3"])], expect: ["s": "d 2001:db8::3 10.0.2.3"]),
        one("an explicit pair from two pools", [a30, pool("v6", "2001:db8::/126")],
            [dual("s", ips: ["10.0.0.1", "2001:db8::1"])], expect: ["s": "!invalidRequest"]),
        one("two explicit addresses for a SingleStack service", [dual30], [svc("s", ips: ["10.0.2.0", "2001:db8::"])],
            expect: ["s": "!invalidRequest"]),
        one("one explicit address for a RequireDualStack service", [dual30],
            [dual("s", .requireDualStack, ips: ["10.0.2.0"])], expect: ["s": "!invalidRequest"]),
        one("an explicit .0 under avoidBuggyIPs", [pool("a", "10.0.0.0/24", buggy: true)],
            [svc("s", ips: ["10.0.0.0"])], expect: ["s": "!buggyAddress"]),
        one("an explicit address in a pool pinned to another namespace",
            [pool("p", "10.0.5.0/30", pinned: pin(namespaces: ["prod"]))], [svc("dev/s", ips: ["10.0.5.1"])],
            expect: ["dev/s": "!poolNotAllowed"]),
        one("an explicit address in a pool pinned to its namespace",
            [pool("p", "10.0.5.0/30", pinned: pin(namespaces: ["prod"]))], [svc("prod/s", ips: ["10.0.5.1"])],
            expect: ["prod/s": "p 10.0.5.1"]),
        one("a requested pool pinned to another namespace",
            [pool("p", "10.0.5.0/30", pinned: pin(namespaces: ["prod"]))], [svc("dev/s", pool: "p")],
            expect: ["dev/s": "!poolNotAllowed"]),
        one("a requested pool pinned to its namespace",
            [pool("p", "10.0.5.0/30", pinned: pin(namespaces: ["prod"])), a30], [svc("prod/s", pool: "p")],
            expect: ["prod/s": "p 10.0.5.0"]),
        one("an explicit shared address with disjoint ports", [a30],
            [svc("a", key: "k", ports: ["TCP/80"], ips: ["10.0.0.2"]),
             svc("b", key: "k", ports: ["TCP/443"], ips: ["10.0.0.2"])],
            expect: ["a": "a 10.0.0.2", "b": "a 10.0.0.2"]),
        one("an explicit shared address with overlapping ports", [a30],
            [svc("a", key: "k", ports: ["TCP/80"], ips: ["10.0.0.2"]),
             svc("b", key: "k", ports: ["TCP/80"], ips: ["10.0.0.2"])],
            expect: ["a": "a 10.0.0.2", "b": "!addressInUse"]),
    ]
}
