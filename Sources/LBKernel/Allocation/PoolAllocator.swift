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
///
/// When nothing that matters changed (same pools and namespace labels, same requests, no service gone, same
/// recorded addresses for services without one) a reconcile returns the previous answer after one look at each
/// service.
public struct PoolAllocator: AddressAllocator {
    /// What the allocator remembers about one service; records live in an array, found by ``slots``.
    struct Record: Sendable {
        var request: Request
        var allocation: Allocation?
        /// The index of the allocation's pool in ``table``.
        var pool: Int?
        var failure: AllocationFailure?
        /// The recorded addresses seen last while the service had no allocation.
        var recorded: [IPAddress]?
        /// The reconcile that last saw the service in its input.
        var seen: UInt64
        /// The last reconcile that changed the allocation (its previous one is in ``touchedSlots``).
        var touched: UInt64 = 0
    }

    /// The pools of the last policy.
    var table = PoolTable(.empty)
    /// Whether a reconcile has run.
    var started = false
    /// The slot in ``records`` of every live service.
    var slots: [ServiceID: Int] = [:]
    /// Service records; a slot whose service is gone is cleared and listed in ``freeSlots`` until reused.
    var records: [Record] = []
    /// Whether the service in a slot lacks a complete allocation (and is retried whenever something changes).
    var pendingFlags: [Bool] = []
    /// Slots free for reuse.
    var freeSlots: [Int] = []
    /// Which addresses are used, and by whom.
    var usage = Usage()
    /// The answer of the last reconcile, kept up to date.
    var outcome = AllocationOutcome()
    /// The count of reconciles.
    var generation: UInt64 = 0
    /// The slots the current reconcile changed, with the allocation each had before.
    var touchedSlots: [(slot: Int, before: Allocation?)] = []

    /// Creates an allocator that holds no addresses.
    public init() {}

    /// Brings the allocations in line with `policy` and `services`; see the type's documentation for the steps.
    public mutating func reconcile(policy: Policy, services: [Service],
                                   recorded: [ServiceID: [IPAddress]]) -> AllocationOutcome {
        generation &+= 1
        touchedSlots.removeAll(keepingCapacity: true)
        var released: Set<ServiceID> = []
        var recheck: [(slot: Int, held: [IPAddress])] = []
        let policyChanged = !started || table.source != policy.pools || table.namespaceLabels != policy.namespaceLabels
        var work = policyChanged
        started = true

        // Read the input: note new services, changed requests and changed recorded addresses.
        var seen = 0
        var fresh: [(id: ServiceID, index: Int)] = []
        for (index, service) in services.enumerated() {
            guard let slot = slots[service.id] else {
                fresh.append((service.id, index))
                continue
            }
            if records[slot].seen == generation { continue }  // a duplicate id: the first one wins
            records[slot].seen = generation
            seen += 1
            if records[slot].allocation == nil, !recorded.isEmpty || records[slot].recorded != nil {
                let hint = recorded[service.id]
                if hint != records[slot].recorded {
                    records[slot].recorded = hint
                    work = true
                }
            }
            if !records[slot].request.matches(service) {
                work = true
                if let held = records[slot].allocation?.addresses {
                    for address in held { usage.remove(address, slot: slot, records: records) }
                    recheck.append((slot, held))
                    settle(slot, nil)
                }
                records[slot].request = Request(service)
            }
        }
        if !fresh.isEmpty {
            // New services take slots in ServiceID order, so that allocating them walks the records in order.
            work = true
            fresh.sort { $0.id == $1.id ? $0.index < $1.index : PoolAllocator.precedes($0.id, $1.id) }
            slots.reserveCapacity(slots.count + fresh.count)
            if records.capacity < records.count + fresh.count {  // grow geometrically, never by exactly this batch
                records.reserveCapacity(max(records.count + fresh.count, records.capacity * 2))
                pendingFlags.reserveCapacity(records.capacity)
            }
            var previous: ServiceID?
            for (id, index) in fresh where id != previous {  // a duplicate id: the first one wins
                previous = id
                add(Record(request: Request(services[index]), recorded: recorded.isEmpty ? nil : recorded[id],
                           seen: generation))
                seen += 1
            }
        }
        if seen < slots.count {
            work = true
            let gone = slots.filter { records[$0.value].seen != generation }
            for (id, slot) in gone {
                if let allocation = records[slot].allocation {
                    for address in allocation.addresses { usage.remove(address, slot: slot, records: records) }
                    released.insert(id)
                }
                records[slot].allocation = nil
                records[slot].failure = nil
                records[slot].recorded = nil
                pendingFlags[slot] = false
                freeSlots.append(slot)
                slots[id] = nil
                outcome.allocations[id] = nil
                outcome.failures[id] = nil
            }
        }
        guard work else {
            outcome.changed = []
            return outcome
        }
        if policyChanged {
            table = PoolTable(policy)
            usage = Usage()
            for slot in records.indices {
                guard let held = records[slot].allocation?.addresses else { continue }
                recheck.append((slot, held))
                settle(slot, nil)
            }
        }

        // Step 2: services whose addresses must be checked again keep what is still allowed.
        let rechecked = recheck.map { (id: records[$0.slot].request.id, slot: $0.slot, held: $0.held) }
            .sorted { PoolAllocator.precedes($0.id, $1.id) }
        for (_, slot, held) in rechecked {
            if let choice = validate(held, for: records[slot].request, in: table) { hold(slot, choice) }
        }

        // Step 3: recorded addresses go back to their services before anyone else may take them.
        // Sort (id, slot) pairs, not slots, so comparisons do not chase records all over memory.
        let order = pendingFlags.indices.compactMap { pendingFlags[$0] ? (id: records[$0].request.id, slot: $0) : nil }
            .sorted { PoolAllocator.precedes($0.id, $1.id) }.map(\.slot)
        outcome.allocations.reserveCapacity(slots.count)
        if !recorded.isEmpty {
            for slot in order where records[slot].allocation == nil {
                let request = records[slot].request
                guard let hint = recorded[request.id], !hint.isEmpty,
                      let choice = validate(hint, for: request, in: table) else { continue }
                hold(slot, choice)
            }
        }

        // Step 4: everyone else, in ServiceID order.
        for slot in order {
            if let allocation = records[slot].allocation {
                if records[slot].request.isPartial(allocation) { complete(slot, allocation) }
                continue
            }
            switch allocate(records[slot].request, in: table) {
            case .success(let choice): hold(slot, choice)
            case .failure(let failure): settle(slot, nil, failure: failure)
            }
        }

        var changed = released
        changed.reserveCapacity(released.count + touchedSlots.count)
        for (slot, before) in touchedSlots where records[slot].allocation != before {
            changed.insert(records[slot].request.id)
        }
        outcome.changed = changed
        return outcome
    }

    /// ``ServiceID`` order, comparing the namespaces for equality first (cheap for equal strings).
    static func precedes(_ a: ServiceID, _ b: ServiceID) -> Bool {
        a.namespace == b.namespace ? a.name < b.name : a.namespace < b.namespace
    }

    /// Stores a new service's record in a free slot.
    private mutating func add(_ record: Record) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            records[slot] = record
            pendingFlags[slot] = true
        } else {
            slot = records.count
            records.append(record)
            pendingFlags.append(true)
        }
        slots[record.request.id] = slot
    }

    /// Gives the service in `slot` the chosen addresses.
    private mutating func hold(_ slot: Int, _ choice: Choice) {
        for address in choice.addresses { usage.add(address, slot: slot, records: records) }
        settle(slot, Allocation(addresses: choice.addresses, pool: table.pools[choice.pool].name), pool: choice.pool)
    }

    /// Tries to add the missing family to a PreferDualStack service, from the pool it already uses.
    private mutating func complete(_ slot: Int, _ allocation: Allocation) {
        let request = records[slot].request
        guard let p = records[slot].pool, let have = allocation.addresses.first?.family else { return }
        let missing: IPFamily = have == .ipv4 ? .ipv6 : .ipv4
        guard table.pools[p].has(missing), let address = pick(p, missing, request, in: table) else { return }
        usage.add(address, slot: slot, records: records)
        settle(slot, Allocation(addresses: (allocation.addresses + [address]).sorted(), pool: allocation.pool), pool: p)
    }

    /// Sets the allocation (or failure) of the service in `slot`, remembering what it had before this reconcile.
    private mutating func settle(_ slot: Int, _ allocation: Allocation?, pool: Int? = nil,
                                 failure: AllocationFailure? = nil) {
        let id = records[slot].request.id
        if records[slot].touched != generation {
            records[slot].touched = generation
            touchedSlots.append((slot, records[slot].allocation))
        }
        if records[slot].failure != nil || failure != nil { outcome.failures[id] = failure }
        if records[slot].allocation != nil || allocation != nil { outcome.allocations[id] = allocation }
        records[slot].allocation = allocation
        records[slot].pool = pool
        records[slot].failure = failure
        if let allocation, !records[slot].request.isPartial(allocation) {
            pendingFlags[slot] = false
        } else {
            pendingFlags[slot] = true
        }
    }
}
