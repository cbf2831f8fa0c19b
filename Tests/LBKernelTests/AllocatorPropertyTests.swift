import PropertyBased
import Testing
@testable import LBKernel

/// Random sequences of service adds, updates, deletes and configuration changes, checked after every step:
/// no address is held by two services unless they may share it, every address lies in a pool the service may use,
/// addresses never move unless their service's request changed or the configuration stopped allowing them, and a
/// fresh allocator given the final inputs (and the allocations as recorded) reproduces the allocation.
@Suite struct AllocatorPropertyTests {
    @Test func randomSequencesKeepTheInvariants() async {
        await propertyCheck(count: 60, input: Gen.uint64()) { seed in
            var world = AllocWorld(seed: seed, recordsStatus: seed % 2 == 0)
            world.run(steps: 40)
        }
    }

    @Test(arguments: [1 as UInt64, 7, 42, 1_000_003], [false, true])
    func fixedSeedsKeepTheInvariants(seed: UInt64, recordsStatus: Bool) {
        var world = AllocWorld(seed: seed, recordsStatus: recordsStatus)
        world.run(steps: 80)
    }
}

/// The configuration knobs a random step may flip.
struct AllocConfig: Equatable {
    var renamed = false
    var split = false
    var shrunk = false
    var dropIPv6Only = false
    var avoidBuggy = false
    var offAutoAssign = true
    var pinnedNamespaces = ["prod"]

    var policy: Policy {
        func block(_ text: String) -> AddressBlock { try! AddressBlock(parsing: text) }
        var pools: [AddressPool] = []
        let a = renamed ? "a2" : "a"
        if split {
            pools.append(AddressPool(name: a, addresses: [block("10.0.0.0/30")], avoidBuggyIPs: avoidBuggy))
            pools.append(AddressPool(name: "a3", addresses: [block("10.0.0.4/30")], avoidBuggyIPs: avoidBuggy))
        } else {
            pools.append(AddressPool(name: a, addresses: [block(shrunk ? "10.0.0.0/30" : "10.0.0.0/29")],
                                     avoidBuggyIPs: avoidBuggy))
        }
        pools.append(AddressPool(name: "b", addresses: [block("10.0.1.0/30"), block("2001:db8::/126")]))
        if !dropIPv6Only { pools.append(AddressPool(name: "c", addresses: [block("2001:db8:1::/127")])) }
        pools.append(AddressPool(name: "p", addresses: [block("10.0.2.0/31")],
                                 serviceAllocation: .init(priority: 1, namespaces: pinnedNamespaces)))
        pools.append(AddressPool(name: "s", addresses: [block("10.0.3.254-10.0.4.1")], avoidBuggyIPs: true,
                                 serviceAllocation: .init(serviceSelectors: [LabelSelector(matchLabels: ["tier": "fast"])])))
        pools.append(AddressPool(name: "off", addresses: [block("10.0.5.0/31")], autoAssign: !offAutoAssign))
        return Policy(pools: pools)
    }
}

/// A random world: a configuration, a set of services, and the allocator under test.
struct AllocWorld {
    var rng: SplitMix64
    var config = AllocConfig()
    var services: [ServiceID: Service] = [:]
    var allocator = PoolAllocator()
    var last = AllocationOutcome()
    var history: [(Policy, [Service], [ServiceID: [IPAddress]])] = []

    /// Whether each reconcile gets the previous answer as `recorded` (as a source writing Service status does).
    var recordsStatus: Bool

    init(seed: UInt64, recordsStatus: Bool) {
        rng = SplitMix64(seed: seed)
        self.recordsStatus = recordsStatus
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    mutating func randomService(_ id: ServiceID) -> Service {
        let key = pick([nil, "k1", "k1", "k2"] as [String?])
        var ports = [ServicePort(.tcp, 80), ServicePort(.tcp, 443), ServicePort(.udp, 53)].filter { _ in chance(50) }
        if ports.isEmpty { ports = [ServicePort(.tcp, 80)] }
        let stack = pick([.singleStack, .singleStack, .singleStack, .preferDualStack, .requireDualStack]
                         as [IPFamilyPolicy])
        let families: [IPFamily] = stack == .singleStack
            ? (chance(70) ? [.ipv4] : [.ipv6]) : (chance(70) ? [.ipv4, .ipv6] : [.ipv6, .ipv4])
        var requested: [IPAddress] = []
        if chance(12) {
            let candidates = ["10.0.0.1", "10.0.0.5", "10.0.0.0", "10.0.1.2", "10.0.2.0", "10.0.5.1", "2001:db8::2",
                              "2001:db8:1::1", "192.168.9.9"]
            requested = [IPAddress(pick(candidates))!]
            if chance(30) { requested.append(IPAddress(pick(candidates))!) }
        }
        let local = chance(20)
        return Service(id: id, labels: chance(30) ? ["tier": "fast"] : [:], requestedAddresses: requested,
                       requestedPool: chance(20) ? pick(["a", "b", "off", "p", "zzz"]) : nil, sharingKey: key,
                       ports: ports, ipFamilyPolicy: stack, ipFamilies: families,
                       trafficPolicy: local ? .local : .cluster, backendKey: local ? pick(["x", "y"]) : "")
    }

    /// One random step; returns whether it changed the configuration.
    mutating func step() -> Bool {
        let id = ServiceID(namespace: pick(["prod", "dev"]), name: "s\(rng.next() % 6)")
        switch rng.next() % 10 {
        case 0...3:
            services[id] = randomService(id)
        case 4, 5:
            if var service = services[id] {
                // Change one aspect only, so most services keep most of their request.
                switch rng.next() % 4 {
                case 0: service.sharingKey = pick([nil, "k1", "k2"] as [String?])
                case 1: service.ports = [pick([ServicePort(.tcp, 80), ServicePort(.tcp, 8080)])]
                case 2: service.labels = chance(50) ? ["tier": "fast"] : [:]
                default: service.endpoints = .onNodes(["n\(rng.next() % 3)"])
                }
                services[id] = service
            } else {
                services[id] = randomService(id)
            }
        case 6, 7:
            services[id] = nil
        default:
            switch rng.next() % 7 {
            case 0: config.renamed.toggle()
            case 1: config.split.toggle()
            case 2: config.shrunk.toggle()
            case 3: config.dropIPv6Only.toggle()
            case 4: config.avoidBuggy.toggle()
            case 5: config.offAutoAssign.toggle()
            default: config.pinnedNamespaces = config.pinnedNamespaces == ["prod"] ? ["dev"] : ["prod"]
            }
            return true
        }
        return false
    }

    mutating func run(steps: Int) {
        for n in 0..<steps {
            let before = services
            let configChanged = step()
            let policy = config.policy
            let input = services.values.sorted { $0.id < $1.id }.shuffled(using: &rng)
            // The source records what the previous reconcile answered, as Service status would.
            let recorded = recordsStatus ? last.allocations.mapValues(\.addresses) : [:]
            let outcome = allocator.reconcile(policy: policy, services: input, recorded: recorded)
            history.append((policy, input, recorded))
            check(outcome, policy: policy, step: n)
            checkStability(outcome, before: before, policy: policy, configChanged: configChanged, step: n)
            var fresh = PoolAllocator()
            let replay = fresh.reconcile(policy: policy, services: input, recorded: outcome.allocations.mapValues(\.addresses))
            #expect(replay.allocations == outcome.allocations, "step \(n): replay from scratch")
            last = outcome
        }
        // The same inputs in the same order give the same answer.
        var again = PoolAllocator()
        var final = AllocationOutcome()
        for (policy, input, recorded) in history { final = again.reconcile(policy: policy, services: input, recorded: recorded) }
        #expect(final == last, "a second allocator fed the same history")
    }

    func check(_ outcome: AllocationOutcome, policy: Policy, step: Int) {
        var holders: [IPAddress: [Service]] = [:]
        for service in services.values {
            let allocated = outcome.allocations[service.id], failed = outcome.failures[service.id]
            #expect((allocated == nil) != (failed == nil), "step \(step): \(service.id) has one answer")
            guard let allocation = allocated else { continue }
            #expect(AllocWorld.allowed(allocation.addresses, in: allocation.pool, for: service, policy: policy),
                    "step \(step): \(service.id) holds \(allocation) it may not use")
            for address in allocation.addresses { holders[address, default: []].append(service) }
        }
        #expect(outcome.allocations.count + outcome.failures.count == services.count, "step \(step): nothing extra")
        for (address, users) in holders where users.count > 1 {
            for (i, a) in users.enumerated() {
                for b in users[(i + 1)...] {
                    let key = a.sharingKey ?? ""
                    let ok = !key.isEmpty && key == b.sharingKey && a.sharingBackend == b.sharingBackend
                        && Set(a.ports).isDisjoint(with: b.ports)
                    #expect(ok, "step \(step): \(a.id) and \(b.id) may not share \(address)")
                }
            }
        }
    }

    func checkStability(_ outcome: AllocationOutcome, before: [ServiceID: Service], policy: Policy,
                        configChanged: Bool, step: Int) {
        for (id, service) in services {
            guard let old = last.allocations[id], before[id] == service else { continue }
            let now = Set(outcome.allocations[id]?.addresses ?? [])
            if Set(old.addresses).isSubset(of: now) { continue }
            // Only a configuration change may take addresses from an unchanged service, and only ones it no
            // longer allows.
            let home = policy.pools.first { pool in old.addresses.allSatisfy(pool.contains) }
            let stillAllowed = home.map { AllocWorld.allowed(old.addresses, in: $0.name, for: service, policy: policy) }
            #expect(configChanged && stillAllowed != true,
                    "step \(step): \(id) lost \(old.addresses) without a reason (now \(now))")
        }
    }

    /// Whether `service` may hold `addresses` from pool `name` under `policy`, checked independently of the allocator.
    static func allowed(_ addresses: [IPAddress], in name: String, for service: Service, policy: Policy) -> Bool {
        guard let pool = policy.pool(named: name), !addresses.isEmpty, addresses.count <= 2,
              Set(addresses.map(\.family)).count == addresses.count,
              addresses.allSatisfy(pool.contains) else { return false }
        if let requested = service.requestedPool, requested != name { return false }
        if !service.requestedAddresses.isEmpty && Set(service.requestedAddresses) != Set(addresses) { return false }
        if pool.avoidBuggyIPs && addresses.contains(where: \.isBuggyIPv4) { return false }
        if let allocation = pool.serviceAllocation,
           !allocation.matches(namespace: service.id.namespace, namespaceLabels: [:], serviceLabels: service.labels) {
            return false
        }
        switch service.ipFamilyPolicy {
        case .singleStack:
            return addresses.count == 1
                && (service.requestedAddresses.isEmpty ? addresses[0].family == service.wantedFamilies[0] : true)
        case .requireDualStack: return addresses.count == 2
        case .preferDualStack: return true
        }
    }
}
