/// The failures ``PoolAllocator`` reports, each naming the service, the pool or address, and what to change.
extension AllocationFailure {
    static func exhausted(_ request: PoolAllocator.Request, pools: [String]) -> AllocationFailure {
        let families = request.familyPolicy == .singleStack ? request.primary.description : "IPv4/IPv6"
        let sharing = request.sharingKey == nil
            ? "or give services the same sharing key so they can share an address"
            : "or give services the sharing key '\(request.sharingKey!)' with ports that do not overlap"
        return AllocationFailure(.poolExhausted,
            "service \(request.id): no free \(families) address in pool\(pools.count == 1 ? "" : "s") "
            + "\(list(pools)); add addresses to a pool, delete a service that holds one, \(sharing)")
    }

    static func familyUnavailable(_ request: PoolAllocator.Request, pools: [String]) -> AllocationFailure {
        let wanted = request.familyPolicy == .requireDualStack
            ? "both IPv4 and IPv6 addresses in one pool" : "\(request.primary) addresses"
        return AllocationFailure(.familyUnavailable,
            "service \(request.id) (\(request.familyPolicy.rawValue)) needs \(wanted), but pool"
            + "\(pools.count == 1 ? "" : "s") \(list(pools)) \(pools.count == 1 ? "has" : "have") none; "
            + "add such a block to a pool, or change the service's ipFamilies/ipFamilyPolicy")
    }

    static func noPool(_ request: PoolAllocator.Request, pinnedElsewhere: [String]) -> AllocationFailure {
        let pinned = pinnedElsewhere.isEmpty ? ""
            : " (pool\(pinnedElsewhere.count == 1 ? "" : "s") \(list(pinnedElsewhere)) serve only the "
              + "namespaces and services their serviceAllocation selects)"
        return AllocationFailure(.noPoolAvailable,
            "service \(request.id): no pool may serve it: no pool has autoAssign enabled and no serviceAllocation "
            + "selects namespace '\(request.id.namespace)' and its labels\(pinned); add a pool, enable autoAssign, "
            + "or request a pool by name")
    }

    static func unknownPool(_ request: PoolAllocator.Request, _ name: String) -> AllocationFailure {
        AllocationFailure(.unknownPool,
            "service \(request.id) requests pool '\(name)', which does not exist; create it or change the "
            + "requested pool (address-pool)")
    }

    static func poolNotAllowed(_ request: PoolAllocator.Request, _ pool: PoolAllocator.Pool) -> AllocationFailure {
        AllocationFailure(.poolNotAllowed,
            "service \(request.id) may not use pool '\(pool.name)': its serviceAllocation does not select "
            + "namespace '\(request.id.namespace)' and the service's labels; change the pool's namespaces or "
            + "selectors, or use another pool")
    }

    static func notInAnyPool(_ request: PoolAllocator.Request, _ address: IPAddress) -> AllocationFailure {
        AllocationFailure(.addressNotInAnyPool,
            "service \(request.id) requests \(address), which is in no pool; add it to a pool or request an "
            + "address inside one")
    }

    static func notInRequestedPool(_ request: PoolAllocator.Request, _ addresses: [IPAddress], _ name: String,
                                   actual: String) -> AllocationFailure {
        AllocationFailure(.addressNotInRequestedPool,
            "service \(request.id) requests \(addresses.map(\.description).joined(separator: ", ")) from pool "
            + "'\(name)', but the address is in pool '\(actual)'; request an address of '\(name)' or drop one "
            + "of the two requests")
    }

    static func buggy(_ request: PoolAllocator.Request, _ address: IPAddress, _ pool: String) -> AllocationFailure {
        AllocationFailure(.buggyAddress,
            "service \(request.id) requests \(address), but pool '\(pool)' has avoidBuggyIPs set, which rules out "
            + "addresses ending in .0 and .255; request another address or turn avoidBuggyIPs off")
    }

    static func inUse(_ request: PoolAllocator.Request, _ address: IPAddress,
                      by other: PoolAllocator.Request) -> AllocationFailure {
        let why: String
        if request.sharingKey == nil || other.sharingKey == nil {
            why = "sharing needs the same non-empty sharing key (allow-shared-ip) on both services"
        } else if other.sharingKey != request.sharingKey {
            why = "their sharing keys differ ('\(other.sharingKey!)' and '\(request.sharingKey!)')"
        } else if other.backend != request.backend {
            why = "they have different backends under traffic policy Local (the pod selectors must be identical)"
        } else {
            why = "their ports overlap"
        }
        return AllocationFailure(.addressInUse,
            "service \(request.id) requests \(address), which service \(other.id) uses, and \(why); "
            + "make them shareable or request another address")
    }

    static func badAddressSet(_ request: PoolAllocator.Request, _ rule: String) -> AllocationFailure {
        AllocationFailure(.invalidRequest,
            "service \(request.id) requests \(request.requestedAddresses.map(\.description).joined(separator: ", "))"
            + ": \(rule)")
    }

    private static func list(_ names: [String]) -> String {
        names.map { "'\($0)'" }.joined(separator: ", ")
    }
}
