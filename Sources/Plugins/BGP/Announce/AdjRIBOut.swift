public import LBKernel

/// What lbd has sent one peer (RFC 4271 §3.2, Adj-RIB-Out): prefix → attributes, and the difference to send next.
///
/// Pure and synchronous: the announcer keeps one per peer, calls ``update(to:)`` with the peer's whole desired
/// table after every change, and sends the returned ``Changes``; only the difference goes out. When the session goes
/// down, ``reset()`` forgets everything, so the peer gets the complete set again when it comes back
/// (``fullTable(_:)``), never a stale one.
///
/// Cost: one dictionary operation per desired prefix plus one per withdrawn prefix, and one hash per distinct
/// attribute set; attribute sets are interned with use counts, so a peer with 100,000 prefixes over a few sets
/// holds a few sets.
public struct AdjRIBOut: Sendable {
    /// Prefix → id of its attribute set, as sent.
    private var sent: [IPPrefix: Int] = [:]
    /// Attribute sets by id; nil marks a free id.
    private var attributeSets: [RouteAttributes?] = []
    /// How many sent prefixes use each id.
    private var useCounts: [Int] = []
    private var ids: [RouteAttributes: Int] = [:]
    private var freeIDs: [Int] = []

    /// Creates an empty Adj-RIB-Out: nothing sent yet.
    public init() {}

    /// The number of prefixes sent.
    public var count: Int { sent.count }

    /// True when nothing is sent.
    public var isEmpty: Bool { sent.isEmpty }

    /// The number of distinct attribute sets in use.
    public var attributeSetCount: Int { ids.count }

    /// The attributes `prefix` was sent with, or nil.
    public subscript(prefix: IPPrefix) -> RouteAttributes? { sent[prefix].flatMap { attributeSets[$0] } }

    /// Every prefix sent, with its attributes (for tests and logs; costs a dictionary).
    public var routes: [IPPrefix: RouteAttributes] { sent.mapValues { attributeSets[$0]! } }

    /// Records `desired` as sent and returns what changed since the last update: new prefixes and prefixes whose
    /// attributes changed are announced, prefixes no longer desired are withdrawn.
    public mutating func update(to desired: RouteTable) -> Changes {
        // Hash each desired attribute set once; map its table index to our id.
        var remap: [Int] = []
        remap.reserveCapacity(desired.attributeSets.count)
        for attributes in desired.attributeSets { remap.append(intern(attributes)) }

        var announced: [Int: [IPPrefix]] = [:]
        sent.reserveCapacity(desired.count)
        for (prefix, index) in desired.routes {
            let id = remap[index]
            let old = sent.updateValue(id, forKey: prefix)
            if old == id { continue }
            if let old { useCounts[old] -= 1 }
            useCounts[id] += 1
            announced[id, default: []].append(prefix)
        }

        // Every desired prefix is now in `sent`: equal counts mean nothing else is.
        var withdrawn: [AddressFamily: [IPPrefix]] = [:]
        if sent.count != desired.count {
            var gone: [(IPPrefix, Int)] = []
            for (prefix, id) in sent where desired.routes[prefix] == nil { gone.append((prefix, id)) }
            for (prefix, id) in gone {
                sent.removeValue(forKey: prefix)
                useCounts[id] -= 1
                withdrawn[.unicast(prefix.family), default: []].append(prefix)
            }
        }
        releaseUnused()

        let announcements = announced.map { id, prefixes in
            Announcement(attributes: attributeSets[id]!, prefixes: AdjRIBOut.sorted(prefixes))
        }.sorted { a, b in
            a.family != b.family ? a.family < b.family : a.prefixes[0].network.value < b.prefixes[0].network.value
        }
        return Changes(announcements: announcements, withdrawals: withdrawn.mapValues(AdjRIBOut.sorted))
    }

    /// Records `desired` as sent and returns the changes; a convenience over ``update(to:)-(RouteTable)``.
    public mutating func update(to desired: [IPPrefix: RouteAttributes]) -> Changes {
        update(to: RouteTable(desired))
    }

    /// Forgets everything sent: for when the session goes down (the peer drops our routes with it, RFC 4271 §8.2.2,
    /// or keeps them as stale under graceful restart until we send them again, RFC 4724 §4.2).
    public mutating func reset() {
        self = AdjRIBOut()
    }

    /// The whole of `desired` as announcements, for a newly Established session: forgets what was sent before
    /// (as ``reset()``) and records `desired` as sent. The caller follows it with End-of-RIB markers (RFC 4724 §2).
    public mutating func fullTable(_ desired: RouteTable) -> Changes {
        reset()
        return update(to: desired)
    }

    /// Everything sent in `family`, as announcements, without changing anything: the answer to a ROUTE-REFRESH
    /// (RFC 2918 §4).
    public func refresh(_ family: AddressFamily) -> Changes {
        var groups: [Int: [IPPrefix]] = [:]
        for (prefix, id) in sent where AddressFamily.unicast(prefix.family) == family {
            groups[id, default: []].append(prefix)
        }
        let announcements = groups.map { id, prefixes in
            Announcement(attributes: attributeSets[id]!, prefixes: AdjRIBOut.sorted(prefixes))
        }.sorted { $0.prefixes[0].network.value < $1.prefixes[0].network.value }
        return Changes(announcements: announcements)
    }

    /// The id of `attributes`, interning them (with a use count of 0) when new.
    private mutating func intern(_ attributes: RouteAttributes) -> Int {
        if let id = ids[attributes] { return id }
        let id: Int
        if let free = freeIDs.popLast() {
            id = free
            attributeSets[id] = attributes
            useCounts[id] = 0
        } else {
            id = attributeSets.count
            attributeSets.append(attributes)
            useCounts.append(0)
        }
        ids[attributes] = id
        return id
    }

    /// Frees the ids no sent prefix uses (there are as many ids as distinct attribute sets: few).
    private mutating func releaseUnused() {
        for id in attributeSets.indices where useCounts[id] == 0 {
            guard let attributes = attributeSets[id] else { continue }
            ids.removeValue(forKey: attributes)
            attributeSets[id] = nil
            freeIDs.append(id)
        }
    }
}
