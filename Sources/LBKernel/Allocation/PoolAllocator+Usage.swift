extension PoolAllocator {
    /// What the allocator needs to know about one service's request; two equal requests allocate alike.
    ///
    /// Endpoints and other fields that do not affect allocation are left out, so an endpoint change costs nothing.
    struct Request: Equatable, Sendable {
        var id: ServiceID
        var labels: Labels
        var requestedAddresses: [IPAddress]
        var requestedPool: String?
        /// The sharing key, nil when absent or empty.
        var sharingKey: String?
        /// The sharing backend (empty under traffic policy Cluster).
        var backend: String
        var ports: [ServicePort]
        var familyPolicy: IPFamilyPolicy
        /// The families wanted, primary first.
        var families: [IPFamily]

        init(_ service: Service) {
            id = service.id
            labels = service.labels
            requestedAddresses = service.requestedAddresses
            requestedPool = service.requestedPool
            sharingKey = service.sharingKey?.isEmpty == false ? service.sharingKey : nil
            backend = service.sharingBackend
            ports = service.ports
            familyPolicy = service.ipFamilyPolicy
            families = service.wantedFamilies
        }

        /// Whether this is a PreferDualStack request that may still add a second family to `allocation`.
        func isPartial(_ allocation: Allocation) -> Bool {
            familyPolicy == .preferDualStack && requestedAddresses.isEmpty && allocation.addresses.count < 2
        }
    }

    /// One service using an address, with its ports.
    struct User: Sendable {
        var id: ServiceID
        var ports: [ServicePort]
    }

    /// The services using one address; they all have the same sharing key and backend.
    struct AddressUse: Sendable {
        var users: [User]
        var key: String?
        var backend: String
    }

    /// The services sharing by one key and backend, in one family.
    struct GroupKey: Hashable, Sendable {
        var family: IPFamily
        var key: String
        var backend: String
    }

    /// The addresses of a sharing group, and which of them already use each port.
    struct Group: Sendable {
        var members = IntervalSet()
        var byPort: [ServicePort: IntervalSet] = [:]
    }

    /// Every used address: who uses it, the used sets per family, and the sharing groups.
    struct Usage: Sendable {
        var users: [IPAddress: AddressUse] = [:]
        /// Used IPv4 addresses.
        var used4 = IntervalSet()
        /// Used IPv4 addresses not ending in `.0`/`.255`, in ``SafeIPv4Slots`` numbering.
        var usedSafe4 = IntervalSet()
        /// Used IPv6 addresses.
        var used6 = IntervalSet()
        var groups: [GroupKey: Group] = [:]

        /// The lowest free address of `block`, skipping `.0`/`.255` when `avoidBuggy`.
        func lowestFree(_ block: Block, avoidBuggy: Bool) -> UInt128? {
            if block.family == .ipv6 { return used6.lowestAbsent(in: block.first...block.last) }
            guard avoidBuggy else { return used4.lowestAbsent(in: block.first...block.last) }
            guard let first = SafeIPv4Slots.first(atLeast: block.first),
                  let last = SafeIPv4Slots.last(atMost: block.last), first <= last else { return nil }
            return usedSafe4.lowestAbsent(in: SafeIPv4Slots.slot(first)...SafeIPv4Slots.slot(last))
                .map(SafeIPv4Slots.value)
        }

        /// The lowest address of `range` in `family` that `request` may share: same key and backend, and none of
        /// its ports in use there. Jumps over whole runs of addresses that use one of its ports.
        func lowestShareable(_ family: IPFamily, in range: ClosedRange<UInt128>, for request: Request,
                             avoidBuggy: Bool) -> UInt128? {
            guard let key = request.sharingKey,
                  let group = groups[GroupKey(family: family, key: key, backend: request.backend)] else { return nil }
            let portSets = request.ports.compactMap { group.byPort[$0] }
            var from = range.lowerBound
            while let candidate = group.members.lowestMember(in: from...range.upperBound) {
                var blockedThrough: UInt128?
                for set in portSets {
                    if let run = set.interval(containing: candidate) {
                        blockedThrough = max(blockedThrough ?? run.upperBound, run.upperBound)
                    }
                }
                if family == .ipv4 && avoidBuggy && SafeIPv4Slots.isBuggy(candidate) {
                    blockedThrough = max(blockedThrough ?? candidate, candidate)
                }
                guard let through = blockedThrough else { return candidate }
                guard through < range.upperBound else { return nil }
                from = through + 1
            }
            return nil
        }

        /// The first other service whose use of `address` rules out `request` sharing it, or nil.
        func conflict(_ address: IPAddress, with request: Request) -> ServiceID? {
            guard let use = users[address] else { return nil }
            for user in use.users where user.id != request.id {
                guard let key = request.sharingKey, use.key == key, use.backend == request.backend,
                      !user.ports.contains(where: request.ports.contains) else { return user.id }
            }
            return nil
        }

        /// Records that `request`'s service uses `address`; the caller has checked there is no conflict.
        mutating func add(_ address: IPAddress, for request: Request) {
            let value = address.value
            let user = User(id: request.id, ports: request.ports)
            if users[address] != nil {
                users[address]!.users.append(user)
            } else {
                users[address] = AddressUse(users: [user], key: request.sharingKey, backend: request.backend)
                switch address.family {
                case .ipv4:
                    used4.insert(value)
                    if !SafeIPv4Slots.isBuggy(value) { usedSafe4.insert(SafeIPv4Slots.slot(value)) }
                case .ipv6:
                    used6.insert(value)
                }
                if let key = request.sharingKey {
                    groups[GroupKey(family: address.family, key: key, backend: request.backend), default: Group()]
                        .members.insert(value)
                }
            }
            guard let key = users[address]!.key else { return }
            let groupKey = GroupKey(family: address.family, key: key, backend: users[address]!.backend)
            for port in request.ports {
                groups[groupKey, default: Group()].byPort[port, default: IntervalSet()].insert(value)
            }
        }

        /// Records that the service `id` no longer uses `address`.
        mutating func remove(_ address: IPAddress, for id: ServiceID) {
            guard var use = users[address], let i = use.users.firstIndex(where: { $0.id == id }) else { return }
            let user = use.users.remove(at: i)
            let value = address.value
            let groupKey = use.key.map { GroupKey(family: address.family, key: $0, backend: use.backend) }
            if let groupKey {
                for port in user.ports where !use.users.contains(where: { $0.ports.contains(port) }) {
                    groups[groupKey]?.byPort[port]?.remove(value)
                    if groups[groupKey]?.byPort[port]?.isEmpty == true { groups[groupKey]!.byPort[port] = nil }
                }
            }
            guard use.users.isEmpty else {
                users[address] = use
                return
            }
            users[address] = nil
            switch address.family {
            case .ipv4:
                used4.remove(value)
                if !SafeIPv4Slots.isBuggy(value) { usedSafe4.remove(SafeIPv4Slots.slot(value)) }
            case .ipv6:
                used6.remove(value)
            }
            if let groupKey {
                groups[groupKey]?.members.remove(value)
                if groups[groupKey]?.members.isEmpty == true { groups[groupKey] = nil }
            }
        }
    }
}
