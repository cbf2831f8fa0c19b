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
        /// The service's `ipFamilies`, as given.
        var ipFamilies: [IPFamily]
        /// The primary family (the first of ``families``).
        var primary: IPFamily

        init(_ service: Service) {
            id = service.id
            labels = service.labels
            requestedAddresses = service.requestedAddresses
            requestedPool = service.requestedPool
            sharingKey = service.sharingKey?.isEmpty == false ? service.sharingKey : nil
            backend = service.sharingBackend
            ports = service.ports
            familyPolicy = service.ipFamilyPolicy
            ipFamilies = service.ipFamilies
            // As `Service.wantedFamilies[0]`, without building the array.
            primary = service.ipFamilies.first ?? service.requestedAddresses.first?.family ?? .ipv4
        }

        /// The families wanted, primary first.
        var families: [IPFamily] {
            familyPolicy == .singleStack ? [primary] : [primary, primary == .ipv4 ? .ipv6 : .ipv4]
        }

        /// Whether `service` asks for exactly this (cheaper than building a request to compare).
        func matches(_ service: Service) -> Bool {
            id == service.id && ports == service.ports && labels == service.labels
                && requestedAddresses == service.requestedAddresses && requestedPool == service.requestedPool
                && sharingKey == (service.sharingKey?.isEmpty == false ? service.sharingKey : nil)
                && backend == service.sharingBackend && familyPolicy == service.ipFamilyPolicy
                && ipFamilies == service.ipFamilies
        }

        /// Whether this is a PreferDualStack request that may still add a second family to `allocation`.
        func isPartial(_ allocation: Allocation) -> Bool {
            familyPolicy == .preferDualStack && requestedAddresses.isEmpty && allocation.addresses.count < 2
        }
    }

    /// The services using one address, as slots in ``PoolAllocator/records``; they all have the same sharing key
    /// and backend. The first user is stored inline, so an unshared address needs no array.
    struct AddressUse: Sendable {
        var first: Int32
        var more: [Int32] = []

        /// Every user's slot.
        var all: [Int] { [Int(first)] + more.map(Int.init) }
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
    ///
    /// Users are slots of ``PoolAllocator/records``, whose requests give their ports and sharing identity; a
    /// service's addresses are always removed here before its record's request changes.
    struct Usage: Sendable {
        var users = AddressMap()
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

        /// The request of the first other service whose use of `address` rules out `request` sharing it, or nil.
        func conflict(_ address: IPAddress, with request: Request, records: [Record]) -> Request? {
            guard let use = users[address] else { return nil }
            for slot in use.all {
                let other = records[slot].request
                guard other.id != request.id else { continue }
                guard let key = request.sharingKey, other.sharingKey == key, other.backend == request.backend,
                      !other.ports.contains(where: request.ports.contains) else { return other }
            }
            return nil
        }

        /// Records that the service in `slot` uses `address`; the caller has checked there is no conflict.
        mutating func add(_ address: IPAddress, slot: Int, records: [Record]) {
            var use = users[address] ?? AddressUse(first: -1)
            let first = Usage.join(&use, Int32(slot))
            users[address] = use
            let value = address.value
            if first {
                switch address.family {
                case .ipv4:
                    used4.insert(value)
                    if !SafeIPv4Slots.isBuggy(value) { usedSafe4.insert(SafeIPv4Slots.slot(value)) }
                case .ipv6:
                    used6.insert(value)
                }
            }
            guard let key = records[slot].request.sharingKey else { return }
            let groupKey = GroupKey(family: address.family, key: key, backend: records[slot].request.backend)
            Usage.index(&groups[groupKey, default: Group()], value, ports: records[slot].request.ports, member: first)
        }

        /// Adds a user to an address's users; true when it is the first.
        private static func join(_ use: inout AddressUse, _ slot: Int32) -> Bool {
            if use.first < 0 {
                use.first = slot
                return true
            }
            use.more.append(slot)
            return false
        }

        /// Indexes a shared address's new user in its group.
        private static func index(_ group: inout Group, _ value: UInt128, ports: [ServicePort], member: Bool) {
            if member { group.members.insert(value) }
            for port in ports { group.byPort[port, default: IntervalSet()].insert(value) }
        }

        /// Records that the service in `slot` no longer uses `address`.
        mutating func remove(_ address: IPAddress, slot: Int, records: [Record]) {
            guard var use = users[address] else { return }
            let me = Int32(slot)
            if use.first == me {
                if use.more.isEmpty { use.first = -1 } else { use.first = use.more.removeFirst() }
            } else if let i = use.more.firstIndex(of: me) {
                use.more.remove(at: i)
            } else {
                return
            }
            let request = records[slot].request
            let value = address.value
            let remaining = use.first < 0 ? [] : use.all
            let groupKey = request.sharingKey.map { GroupKey(family: address.family, key: $0, backend: request.backend) }
            if let groupKey {
                for port in request.ports where !remaining.contains(where: { records[$0].request.ports.contains(port) }) {
                    groups[groupKey]?.byPort[port]?.remove(value)
                    if groups[groupKey]?.byPort[port]?.isEmpty == true { groups[groupKey]!.byPort[port] = nil }
                }
            }
            guard remaining.isEmpty else {
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
