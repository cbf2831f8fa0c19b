extension PoolAllocator {
    /// One entry of a pool's `addresses`, as numbers.
    struct Block: Sendable, Equatable {
        /// The address family.
        var family: IPFamily
        /// The first address's value.
        var first: UInt128
        /// The last address's value (inclusive).
        var last: UInt128
    }

    /// A pool prepared for allocation: its entries as numbers and its flags.
    struct Pool: Sendable {
        /// The pool's name.
        var name: String
        /// Whether the pool is used for services that name no pool.
        var autoAssign: Bool
        /// Whether IPv4 `.0`/`.255` addresses are skipped.
        var avoidBuggyIPs: Bool
        /// The pool's service allocation, if it is a pinned pool.
        var serviceAllocation: AddressPool.ServiceAllocation?
        /// The entries, in the order they are tried.
        var blocks: [Block]
        /// Whether the pool has IPv4 entries.
        var hasIPv4: Bool
        /// Whether the pool has IPv6 entries.
        var hasIPv6: Bool

        init(_ pool: AddressPool) {
            name = pool.name
            autoAssign = pool.autoAssign
            avoidBuggyIPs = pool.avoidBuggyIPs
            serviceAllocation = pool.serviceAllocation
            blocks = pool.addresses.map {
                Block(family: $0.family, first: $0.range.first.value, last: $0.range.last.value)
            }
            hasIPv4 = blocks.contains { $0.family == .ipv4 }
            hasIPv6 = blocks.contains { $0.family == .ipv6 }
        }

        /// Whether the pool holds addresses of `family`.
        func has(_ family: IPFamily) -> Bool { family == .ipv4 ? hasIPv4 : hasIPv6 }

        /// Whether the pool's service allocation (if any) admits the service.
        func admits(_ request: Request, namespaceLabels: [String: Labels]) -> Bool {
            guard let allocation = serviceAllocation else { return true }
            return allocation.matches(namespace: request.id.namespace,
                                      namespaceLabels: namespaceLabels[request.id.namespace] ?? [:],
                                      serviceLabels: request.labels)
        }

        /// The order key for pinned pools: positive priorities ascending, then 0 (unset).
        var priorityKey: Int {
            let priority = serviceAllocation?.priority ?? 0
            return priority > 0 ? priority : Int.max
        }
    }

    /// A span of addresses owned by one pool, for finding the pool of an address.
    struct Span: Sendable {
        var first: UInt128
        var last: UInt128
        var pool: Int
    }

    /// The pools of one policy, prepared for allocation, with the orders they are tried in.
    struct PoolTable: Sendable {
        /// The pools as given, to notice a change.
        var source: [AddressPool]
        /// The namespace labels as given, for selectors and to notice a change.
        var namespaceLabels: [String: Labels]
        /// The prepared pools, in policy order.
        var pools: [Pool]
        /// Pool index by name (the first pool of a name wins).
        var byName: [String: Int]
        /// Auto-assigning pools with a service allocation, by priority then name.
        var pinned: [Int]
        /// Auto-assigning pools without a service allocation, by name.
        var generic: [Int]
        /// Spans of IPv4 and IPv6 addresses, each sorted by first address.
        var spans4: [Span]
        var spans6: [Span]

        init(_ policy: Policy) {
            source = policy.pools
            namespaceLabels = policy.namespaceLabels
            pools = policy.pools.map(Pool.init)
            var byName: [String: Int] = [:]
            for (i, pool) in pools.enumerated() where byName[pool.name] == nil { byName[pool.name] = i }
            self.byName = byName
            let live = Array(byName.values)
            let pools = self.pools
            pinned = live.filter { pools[$0].autoAssign && pools[$0].serviceAllocation != nil }
                .sorted { (pools[$0].priorityKey, pools[$0].name) < (pools[$1].priorityKey, pools[$1].name) }
            generic = live.filter { pools[$0].autoAssign && pools[$0].serviceAllocation == nil }
                .sorted { pools[$0].name < pools[$1].name }
            var spans4: [Span] = [], spans6: [Span] = []
            for i in live {
                for block in pools[i].blocks {
                    let span = Span(first: block.first, last: block.last, pool: i)
                    if block.family == .ipv4 { spans4.append(span) } else { spans6.append(span) }
                }
            }
            self.spans4 = spans4.sorted { $0.first < $1.first }
            self.spans6 = spans6.sorted { $0.first < $1.first }
        }

        /// The index of the pool holding `address`, or nil when no pool does (pools never overlap once validated).
        func pool(containing address: IPAddress) -> Int? {
            let spans = address.family == .ipv4 ? spans4 : spans6
            let value = address.value
            var low = 0, high = spans.count
            while low < high {
                let mid = (low + high) / 2
                if spans[mid].first <= value { low = mid + 1 } else { high = mid }
            }
            guard low > 0, spans[low - 1].last >= value else { return nil }
            return spans[low - 1].pool
        }

        /// Whether pool `index` admits the service.
        func admits(_ index: Int, _ request: Request) -> Bool {
            pools[index].admits(request, namespaceLabels: namespaceLabels)
        }
    }
}

/// The numbering of IPv4 addresses that leaves out every `.0` and `.255`: slot `s` is the `s`-th address ending in
/// `.1` through `.254`. A pool with `avoidBuggyIPs` searches its free addresses in slot space, so skipping those
/// addresses costs nothing.
enum SafeIPv4Slots {
    /// The slot of a value whose last octet is 1 through 254.
    static func slot(_ value: UInt128) -> UInt128 { (value >> 8) * 254 + (value & 0xFF) - 1 }

    /// The address value of a slot.
    static func value(_ slot: UInt128) -> UInt128 { (slot / 254) << 8 | (slot % 254 + 1) }

    /// Whether a value ends in `.0` or `.255`.
    static func isBuggy(_ value: UInt128) -> Bool {
        let low = value & 0xFF
        return low == 0 || low == 255
    }

    /// The lowest value at or above `value` that is not buggy, or nil past the IPv4 space.
    static func first(atLeast value: UInt128) -> UInt128? {
        let result: UInt128
        switch value & 0xFF {
        case 0: result = value + 1
        case 255: result = value + 2
        default: result = value
        }
        return result <= UInt128(UInt32.max) ? result : nil
    }

    /// The highest value at or below `value` that is not buggy, or nil below the IPv4 space.
    static func last(atMost value: UInt128) -> UInt128? {
        switch value & 0xFF {
        case 255: return value - 1
        case 0: return value >= 2 ? value - 2 : nil
        default: return value
        }
    }
}
