extension PoolAllocator {
    /// Addresses chosen for a service, and the pool they come from.
    struct Choice: Sendable {
        var pool: Int
        var addresses: [IPAddress]
    }

    /// Chooses addresses for a service that holds none: explicit addresses, else the requested pool, else the
    /// pinned pools by priority and name, else the other auto-assigning pools by name.
    func allocate(_ request: Request, in table: PoolTable) -> Result<Choice, AllocationFailure> {
        if !request.requestedAddresses.isEmpty { return explicit(request, in: table) }
        let candidates: [Int]
        switch self.candidates(for: request, in: table) {
        case .success(let list): candidates = list
        case .failure(let failure): return .failure(failure)
        }
        let pools = table.pools
        let primary = request.primary
        switch request.familyPolicy {
        case .singleStack:
            for p in candidates where pools[p].has(primary) {
                if let a = pick(p, primary, request, in: table) { return .success(Choice(pool: p, addresses: [a])) }
            }
        case .requireDualStack, .preferDualStack:
            for p in candidates where pools[p].hasIPv4 && pools[p].hasIPv6 {
                if let a = pick(p, .ipv4, request, in: table), let b = pick(p, .ipv6, request, in: table) {
                    return .success(Choice(pool: p, addresses: [a, b]))
                }
            }
            if request.familyPolicy == .preferDualStack {
                for family in request.families {
                    for p in candidates where pools[p].has(family) {
                        if let a = pick(p, family, request, in: table) {
                            return .success(Choice(pool: p, addresses: [a]))
                        }
                    }
                }
            }
        }
        let usable = candidates.filter { p in
            switch request.familyPolicy {
            case .singleStack: pools[p].has(primary)
            case .requireDualStack: pools[p].hasIPv4 && pools[p].hasIPv6
            case .preferDualStack: true
            }
        }
        let names = candidates.map { pools[$0].name }
        if usable.isEmpty { return .failure(.familyUnavailable(request, pools: names)) }
        return .failure(.exhausted(request, pools: usable.map { pools[$0].name }))
    }

    /// The pools a service without explicit addresses may get addresses from, in the order they are tried.
    func candidates(for request: Request, in table: PoolTable) -> Result<[Int], AllocationFailure> {
        if let name = request.requestedPool {
            guard let p = table.byName[name] else { return .failure(.unknownPool(request, name)) }
            guard table.admits(p, request) else {
                return .failure(.poolNotAllowed(request, table.pools[p]))
            }
            return .success([p])
        }
        let pinned = table.pinned.filter { table.admits($0, request) }
        let list = pinned.isEmpty ? table.generic : pinned + table.generic
        if list.isEmpty {
            let excluded = table.pools.filter { $0.autoAssign && $0.serviceAllocation != nil }.map(\.name)
            return .failure(.noPool(request, pinnedElsewhere: excluded))
        }
        return .success(list)
    }

    /// The lowest free or shareable address of `family` in pool `p`, walking its entries in order.
    func pick(_ p: Int, _ family: IPFamily, _ request: Request, in table: PoolTable) -> IPAddress? {
        let pool = table.pools[p]
        for block in pool.blocks where block.family == family {
            var best = usage.lowestFree(block, avoidBuggy: pool.avoidBuggyIPs)
            if request.sharingKey != nil, best != block.first {
                let upper = best.map { $0 - 1 } ?? block.last
                if let shared = usage.lowestShareable(family, in: block.first...upper, for: request,
                                                      avoidBuggy: pool.avoidBuggyIPs) {
                    best = shared
                }
            }
            if let best { return IPAddress(family: family, value: best) }
        }
        return nil
    }

    /// Checks explicitly requested addresses: at most one per family, from one pool that may serve the service
    /// (and is the requested pool, if any), not `.0`/`.255` under `avoidBuggyIPs`, and free or shareable.
    func explicit(_ request: Request, in table: PoolTable) -> Result<Choice, AllocationFailure> {
        let addresses = request.requestedAddresses
        if addresses.count > 2 || (addresses.count == 2 && addresses[0].family == addresses[1].family) {
            return .failure(.badAddressSet(request, "at most one IPv4 and one IPv6 address may be requested"))
        }
        if addresses.count == 2 && request.familyPolicy == .singleStack {
            return .failure(.badAddressSet(request,
                "a SingleStack service takes one address; set ipFamilyPolicy to PreferDualStack or RequireDualStack"))
        }
        if addresses.count == 1 && request.familyPolicy == .requireDualStack {
            return .failure(.badAddressSet(request,
                "a RequireDualStack service needs one IPv4 and one IPv6 address; request both or neither"))
        }
        if let name = request.requestedPool, table.byName[name] == nil {
            return .failure(.unknownPool(request, name))
        }
        var found: Int?
        for address in addresses {
            guard let p = table.pool(containing: address) else {
                return .failure(.notInAnyPool(request, address))
            }
            if let q = found, q != p {
                return .failure(.badAddressSet(request,
                    "\(addresses[0]) is in pool '\(table.pools[q].name)' but \(address) is in pool "
                    + "'\(table.pools[p].name)'; both addresses must come from one pool"))
            }
            found = p
        }
        let p = found!
        let pool = table.pools[p]
        if let name = request.requestedPool, pool.name != name {
            return .failure(.notInRequestedPool(request, addresses, name, actual: pool.name))
        }
        guard table.admits(p, request) else { return .failure(.poolNotAllowed(request, pool)) }
        if pool.avoidBuggyIPs, let bad = addresses.first(where: \.isBuggyIPv4) {
            return .failure(.buggy(request, bad, pool.name))
        }
        for address in addresses {
            if let other = usage.conflict(address, with: request, records: records) {
                return .failure(.inUse(request, address, by: other))
            }
        }
        return .success(Choice(pool: p, addresses: addresses))
    }

    /// The part of `held` (addresses a service had, or a source recorded) the service may keep under its current
    /// request and the current pools, or nil when it must get new ones.
    func validate(_ held: [IPAddress], for request: Request, in table: PoolTable) -> Choice? {
        if !request.requestedAddresses.isEmpty {
            guard Set(held) == Set(request.requestedAddresses),
                  case .success(let choice) = explicit(request, in: table) else { return nil }
            return choice
        }
        let kept = held.filter { request.families.contains($0.family) }.sorted()
        guard !kept.isEmpty, kept.count <= 2 else { return nil }
        if kept.count == 2 && kept[0].family == kept[1].family { return nil }
        switch request.familyPolicy {
        case .singleStack: if kept.count != 1 { return nil }
        case .requireDualStack: if kept.count != 2 { return nil }
        case .preferDualStack: break
        }
        guard let p = table.pool(containing: kept[0]) else { return nil }
        if kept.count == 2 && table.pool(containing: kept[1]) != p { return nil }
        let pool = table.pools[p]
        if let name = request.requestedPool, name != pool.name { return nil }
        guard table.admits(p, request) else { return nil }
        if pool.avoidBuggyIPs && kept.contains(where: \.isBuggyIPv4) { return nil }
        guard kept.allSatisfy({ usage.conflict($0, with: request, records: records) == nil }) else { return nil }
        return Choice(pool: p, addresses: kept)
    }
}
