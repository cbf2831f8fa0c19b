/// The allocations of services whose source does not allocate: each holds exactly its recorded addresses, in the
/// pool that contains them. Pure.
///
/// This is what an lbd without the allocating role announces: the addresses the allocating lbd wrote (MetalLB's
/// speaker finds the pool of each address in Service status the same way). Nothing is chosen here and nothing is
/// checked against other services: the allocating lbd is the one that keeps addresses apart.
public enum FollowedAllocations {
    /// The allocations and failures of `services` from their `recorded` addresses under `policy`.
    ///
    /// A service without recorded addresses gets neither (it waits for the allocating lbd); one whose addresses
    /// are in no pool, or in two pools, gets a failure that says so and is not announced.
    public static func resolve(services: [Service], recorded: [ServiceID: [IPAddress]],
                               policy: Policy) -> (allocations: [ServiceID: Allocation],
                                                   failures: [ServiceID: AllocationFailure]) {
        var allocations: [ServiceID: Allocation] = [:]
        var failures: [ServiceID: AllocationFailure] = [:]
        for service in services {
            guard let addresses = recorded[service.id], !addresses.isEmpty else { continue }
            var pool: String?
            var failure: AllocationFailure?
            for address in addresses {
                guard let holder = policy.pools.first(where: { $0.contains(address) }) else {
                    failure = AllocationFailure(.addressNotInAnyPool,
                                                "\(service.id): recorded address \(address) is in no pool; "
                                                    + "not announced until the allocating lbd replaces it")
                    break
                }
                if let pool, pool != holder.name {
                    failure = AllocationFailure(.invalidRequest,
                                                "\(service.id): recorded addresses are in two pools (\(pool), "
                                                    + "\(holder.name)); not announced until the allocating lbd fixes them")
                    break
                }
                pool = holder.name
            }
            if let failure {
                failures[service.id] = failure
            } else if let pool {
                allocations[service.id] = Allocation(addresses: addresses, pool: pool)
            }
        }
        return (allocations, failures)
    }
}
