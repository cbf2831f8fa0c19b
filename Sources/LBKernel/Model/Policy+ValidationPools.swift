// Pool rules: names present and unique, at least one address entry, no two entries of any pools overlapping,
// and a well-formed serviceAllocation.

extension Policy {
    /// Checks every pool and the overlaps between all address entries.
    func validatePools(into problems: inout PolicyProblemList) {
        problems.checkNames(pools.map(\.name), kind: .pool)
        for (index, pool) in pools.enumerated() {
            let object = PolicyObjectKind.pool.label(pool.name, index: index)
            if pool.addresses.isEmpty {
                problems.add(.missingKey, object, "addresses",
                             "addresses is empty; a pool needs at least one address entry, such as 10.0.0.0/24 or 10.0.0.10-10.0.0.20")
            }
            if let allocation = pool.serviceAllocation {
                problems.checkDuplicates(allocation.namespaces, field: "serviceAllocation.namespaces", object: object)
                problems.checkSelectors(allocation.namespaceSelectors, field: "serviceAllocation.namespaceSelectors",
                                        object: object)
                problems.checkSelectors(allocation.serviceSelectors, field: "serviceAllocation.serviceSelectors",
                                        object: object)
            }
        }
        validateOverlaps(into: &problems)
    }

    /// One address entry and where it is written.
    private struct Entry {
        var pool: Int
        var index: Int
        var range: IPRange
        var text: String
    }

    /// Reports every pair of overlapping entries (same pool or not), on the later one, naming both.
    ///
    /// MetalLB compares the CIDRs the entries summarise to; comparing the ranges is the same test. A sweep over
    /// the entries sorted by first address finds all pairs without comparing every entry with every other.
    private func validateOverlaps(into problems: inout PolicyProblemList) {
        var entries: [Entry] = []
        for (p, pool) in pools.enumerated() {
            for (i, block) in pool.addresses.enumerated() {
                entries.append(Entry(pool: p, index: i, range: block.range, text: block.description))
            }
        }
        let sorted = entries.indices.sorted { entries[$0].range < entries[$1].range }
        var active: [Int] = []
        var pairs: [(earlier: Int, later: Int)] = []
        for current in sorted {
            let range = entries[current].range
            active.removeAll { entries[$0].range.family != range.family || entries[$0].range.last < range.first }
            for other in active {
                // `entries` is in configuration order, so the smaller index is written first.
                pairs.append((min(other, current), max(other, current)))
            }
            active.append(current)
        }
        for (earlier, later) in pairs.sorted(by: { ($0.later, $0.earlier) < ($1.later, $1.earlier) }) {
            let a = entries[earlier], b = entries[later]
            let otherPool = a.pool == b.pool ? "this pool" : PolicyObjectKind.pool.label(pools[a.pool].name, index: a.pool)
            problems.add(.overlap, PolicyObjectKind.pool.label(pools[b.pool].name, index: b.pool),
                         "addresses[\(b.index)]",
                         "\(b.text) overlaps \(a.text) (\(otherPool), addresses[\(a.index)]); an address may belong "
                         + "to only one entry of one pool: remove or shrink one of the two entries")
        }
    }
}
