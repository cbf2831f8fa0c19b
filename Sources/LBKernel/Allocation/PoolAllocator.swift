// The MetalLB-compatible allocator. Files:
//   PoolAllocator.swift           the state and the reconcile pass (this file)
//   PoolAllocator+Choice.swift    choosing addresses: pool order, explicit requests, checking held addresses
//   PoolAllocator+Usage.swift     who uses which address: used sets per family, sharing groups, per-port sets
//   PoolAllocator+Pools.swift     pools prepared for allocation, and the `.0`/`.255`-free IPv4 numbering
//   PoolAllocator+Failures.swift  the failure messages
//   IntervalSet.swift             the O(log n) set of used addresses
// docs/allocation.md describes the semantics for users.

/// The allocator with MetalLB's semantics, deterministic where MetalLB is random (pools of equal rank are tried in
/// name order) and incremental, so that a reconcile of unchanged services costs little.
///
/// A reconcile runs these steps, and gives the same answer as a fresh allocator fed the same inputs in the same order:
/// 1. Services that disappeared release their addresses.
/// 2. Services whose request changed, and every service when the pools or namespace labels changed, are checked
///    again in ``ServiceID`` order: each keeps whatever part of its addresses its request and the pools still allow
///    (re-homed to the pool that now holds them); the others lose theirs.
/// 3. Services without addresses that have `recorded` addresses take them back, in ``ServiceID`` order, when they
///    are still allowed.
/// 4. Services still without addresses, and PreferDualStack services missing a family, get addresses in
///    ``ServiceID`` order.
public struct PoolAllocator: AddressAllocator {
    /// What the allocator remembers about one service.
    struct Record: Sendable {
        var request: Request
        var allocation: Allocation?
        /// The index of the allocation's pool in ``table``.
        var pool: Int?
        var failure: AllocationFailure?
        /// The recorded addresses seen last while the service had no allocation.
        var recorded: [IPAddress]?
        /// The reconcile that last saw the service.
        var generation: UInt64
    }

    /// The pools of the last policy.
    var table = PoolTable(.empty)
    /// Whether a reconcile has run.
    var started = false
    /// Every service of the last reconcile.
    var records: [ServiceID: Record] = [:]
    /// Which addresses are used, and by whom.
    var usage = Usage()
    /// Services without a complete allocation, retried whenever something changed.
    var pending: Set<ServiceID> = []
    /// The answer of the last reconcile, kept up to date.
    var outcome = AllocationOutcome()
    /// The count of reconciles, to find services that disappeared.
    var generation: UInt64 = 0
    /// The allocation each service had before the current reconcile touched it.
    var touched: [ServiceID: Allocation?] = [:]

    /// Creates an allocator that holds no addresses.
    public init() {}

    /// Brings the allocations in line with `policy` and `services`; see the type's documentation for the steps.
    public mutating func reconcile(policy: Policy, services: [Service],
                                   recorded: [ServiceID: [IPAddress]]) -> AllocationOutcome {
        generation &+= 1
        touched = [:]
        var released: Set<ServiceID> = []
        var recheck: [(id: ServiceID, held: [IPAddress])] = []
        let policyChanged = !started || table.source != policy.pools || table.namespaceLabels != policy.namespaceLabels
        var work = policyChanged
        started = true

        // Read the input: note new services, changed requests and changed recorded addresses.
        var seen = 0
        for service in services {
            let id = service.id
            guard let i = records.index(forKey: id) else {
                records[id] = Record(request: Request(service), recorded: recorded[id], generation: generation)
                pending.insert(id)
                seen += 1
                work = true
                continue
            }
            if records.values[i].generation == generation { continue }  // a duplicate id: the first one wins
            records.values[i].generation = generation
            seen += 1
            if records.values[i].allocation == nil, recorded[id] != records.values[i].recorded {
                records.values[i].recorded = recorded[id]
                work = true
            }
            let request = Request(service)
            if request != records.values[i].request {
                work = true
                if let held = records.values[i].allocation?.addresses {
                    for address in held { usage.remove(address, for: id) }
                    recheck.append((id, held))
                    settle(id, nil)
                }
                records[id]!.request = request
            }
        }
        if seen < records.count {
            work = true
            let gone = records.filter { $0.value.generation != generation }
            for (id, record) in gone {
                if let allocation = record.allocation {
                    for address in allocation.addresses { usage.remove(address, for: id) }
                    released.insert(id)
                }
                records[id] = nil
                pending.remove(id)
                outcome.allocations[id] = nil
                outcome.failures[id] = nil
                touched[id] = nil
            }
        }
        guard work else {
            outcome.changed = []
            return outcome
        }
        if policyChanged {
            table = PoolTable(policy)
            usage = Usage()
            let holders = records.compactMap { id, record in record.allocation.map { (id, $0.addresses) } }
            for (id, held) in holders {
                recheck.append((id, held))
                settle(id, nil)
            }
        }

        // Step 2: services whose addresses must be checked again keep what is still allowed.
        recheck.sort { $0.id < $1.id }
        for (id, held) in recheck {
            if let choice = validate(held, for: records[id]!.request, in: table) { hold(id, choice) }
        }

        // Step 3: recorded addresses go back to their services before anyone else may take them.
        let order = pending.sorted()
        if !recorded.isEmpty {
            for id in order where records[id]!.allocation == nil {
                guard let hint = recorded[id], !hint.isEmpty,
                      let choice = validate(hint, for: records[id]!.request, in: table) else { continue }
                hold(id, choice)
            }
        }

        // Step 4: everyone else, in ServiceID order.
        for id in order {
            let record = records[id]!
            if let allocation = record.allocation {
                if record.request.isPartial(allocation) { complete(id, record, allocation) }
                continue
            }
            switch allocate(record.request, in: table) {
            case .success(let choice): hold(id, choice)
            case .failure(let failure): settle(id, nil, failure: failure)
            }
        }

        var changed = released
        for (id, before) in touched where records[id]?.allocation != before { changed.insert(id) }
        outcome.changed = changed
        return outcome
    }

    /// Gives service `id` the chosen addresses.
    private mutating func hold(_ id: ServiceID, _ choice: Choice) {
        let request = records[id]!.request
        for address in choice.addresses { usage.add(address, for: request) }
        settle(id, Allocation(addresses: choice.addresses, pool: table.pools[choice.pool].name), pool: choice.pool)
    }

    /// Tries to add the missing family to a PreferDualStack service, from the pool it already uses.
    private mutating func complete(_ id: ServiceID, _ record: Record, _ allocation: Allocation) {
        guard let p = record.pool, let have = allocation.addresses.first?.family else { return }
        let missing: IPFamily = have == .ipv4 ? .ipv6 : .ipv4
        guard table.pools[p].has(missing), let address = pick(p, missing, record.request, in: table) else { return }
        usage.add(address, for: record.request)
        settle(id, Allocation(addresses: (allocation.addresses + [address]).sorted(), pool: allocation.pool), pool: p)
    }

    /// Sets the allocation (or failure) of service `id`, remembering what it had before this reconcile.
    private mutating func settle(_ id: ServiceID, _ allocation: Allocation?, pool: Int? = nil,
                                 failure: AllocationFailure? = nil) {
        if touched.index(forKey: id) == nil { touched.updateValue(records[id]!.allocation, forKey: id) }
        records[id]!.allocation = allocation
        records[id]!.pool = pool
        records[id]!.failure = failure
        outcome.allocations[id] = allocation
        outcome.failures[id] = failure
        if let allocation, !records[id]!.request.isPartial(allocation) {
            pending.remove(id)
        } else {
            pending.insert(id)
        }
    }
}
