extension PoolAllocator {
    /// A map from address to its users, kept as chunks of entries sorted by address, per family.
    ///
    /// Addresses are mostly handed out in ascending order, so new entries land at the end of the last chunk and a
    /// reconcile touches memory in order; a hash table would touch a random bucket for every address, which costs a
    /// cache miss per allocation once 100,000 addresses are in use. Lookups are two binary searches.
    struct AddressMap: Sendable {
        /// The most entries a chunk holds before it is split in two.
        static let chunkLimit = 256

        /// Entries of one family.
        struct Chunks: Sendable {
            var chunks: [[(key: UInt128, value: AddressUse)]] = []
            /// `maxes[i]` is the last key of `chunks[i]`.
            var maxes: [UInt128] = []

            /// The chunk and index where `key` is or would be inserted.
            func locate(_ key: UInt128) -> (chunk: Int, index: Int, found: Bool) {
                guard !maxes.isEmpty else { return (0, 0, false) }
                var low = 0, high = maxes.count
                while low < high {
                    let mid = (low + high) / 2
                    if maxes[mid] < key { low = mid + 1 } else { high = mid }
                }
                if low == maxes.count { return (low - 1, chunks[low - 1].count, false) }
                let chunk = chunks[low]
                var a = 0, b = chunk.count
                while a < b {
                    let mid = (a + b) / 2
                    if chunk[mid].key < key { a = mid + 1 } else { b = mid }
                }
                return (low, a, a < chunk.count && chunk[a].key == key)
            }

            subscript(key: UInt128) -> AddressUse? {
                let p = locate(key)
                return p.found ? chunks[p.chunk][p.index].value : nil
            }

            mutating func set(_ key: UInt128, _ value: AddressUse) {
                let p = locate(key)
                if p.found {
                    chunks[p.chunk][p.index].value = value
                    return
                }
                if chunks.isEmpty {
                    chunks = [[(key, value)]]
                    maxes = [key]
                    return
                }
                chunks[p.chunk].insert((key, value), at: p.index)
                if p.index == chunks[p.chunk].count - 1 { maxes[p.chunk] = key }
                if chunks[p.chunk].count > AddressMap.chunkLimit {
                    let half = chunks[p.chunk].count / 2
                    let tail = Array(chunks[p.chunk][half...])
                    chunks[p.chunk].removeSubrange(half...)
                    chunks.insert(tail, at: p.chunk + 1)
                    maxes[p.chunk] = chunks[p.chunk][half - 1].key
                    maxes.insert(tail[tail.count - 1].key, at: p.chunk + 1)
                }
            }

            mutating func remove(_ key: UInt128) {
                let p = locate(key)
                guard p.found else { return }
                chunks[p.chunk].remove(at: p.index)
                if chunks[p.chunk].isEmpty {
                    chunks.remove(at: p.chunk)
                    maxes.remove(at: p.chunk)
                } else {
                    maxes[p.chunk] = chunks[p.chunk][chunks[p.chunk].count - 1].key
                }
            }
        }

        var v4 = Chunks()
        var v6 = Chunks()

        /// The users of `address`, or nil when it is free.
        subscript(address: IPAddress) -> AddressUse? {
            get { address.family == .ipv4 ? v4[address.value] : v6[address.value] }
            set {
                switch (address.family, newValue) {
                case (.ipv4, let use?): v4.set(address.value, use)
                case (.ipv4, nil): v4.remove(address.value)
                case (.ipv6, let use?): v6.set(address.value, use)
                case (.ipv6, nil): v6.remove(address.value)
                }
            }
        }
    }
}
