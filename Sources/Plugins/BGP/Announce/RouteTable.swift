public import LBKernel

/// The routes one peer should have: prefix → attributes, with each distinct attribute set stored once.
///
/// Thousands of prefixes usually share a handful of attribute sets; keeping them interned lets ``AdjRIBOut``
/// hash each set once per update and compare prefixes by index.
public struct RouteTable: Sendable, Equatable, CustomStringConvertible {
    /// The distinct attribute sets, indexed by the values of ``routes``. A set may be unused after a replacement.
    public private(set) var attributeSets: [RouteAttributes]
    /// Each prefix and the index of its attribute set in ``attributeSets``.
    public private(set) var routes: [IPPrefix: Int]
    private var indices: [RouteAttributes: Int]

    /// Creates an empty table.
    public init() {
        attributeSets = []
        routes = [:]
        indices = [:]
    }

    /// Creates a table holding `routes`.
    public init(_ routes: [IPPrefix: RouteAttributes]) {
        self.init()
        self.routes.reserveCapacity(routes.count)
        for (prefix, attributes) in routes { insert(prefix, attributes) }
    }

    /// The number of prefixes.
    public var count: Int { routes.count }

    /// True when the table has no prefix.
    public var isEmpty: Bool { routes.isEmpty }

    /// The attributes of `prefix`, or nil when the table does not have it.
    public subscript(prefix: IPPrefix) -> RouteAttributes? {
        routes[prefix].map { attributeSets[$0] }
    }

    /// Every prefix with its attributes (for tests and logs; costs a dictionary).
    public var dictionary: [IPPrefix: RouteAttributes] { routes.mapValues { attributeSets[$0] } }

    /// The index of `attributes` in ``attributeSets``, adding them when new.
    public mutating func intern(_ attributes: RouteAttributes) -> Int {
        if let index = indices[attributes] { return index }
        attributeSets.append(attributes)
        indices[attributes] = attributeSets.count - 1
        return attributeSets.count - 1
    }

    /// Sets the attributes of `prefix`, replacing any it had.
    public mutating func insert(_ prefix: IPPrefix, _ attributes: RouteAttributes) {
        routes[prefix] = intern(attributes)
    }

    /// Sets the attributes of `prefix` to the set at `index` (from ``intern(_:)``).
    public mutating func insert(_ prefix: IPPrefix, attributeIndex index: Int) {
        precondition(attributeSets.indices.contains(index), "attribute index \(index) was not interned")
        routes[prefix] = index
    }

    /// Removes `prefix`; returns whether it was there.
    @discardableResult
    public mutating func remove(_ prefix: IPPrefix) -> Bool { routes.removeValue(forKey: prefix) != nil }

    /// Tables are equal when they hold the same prefixes with the same attributes, however interned.
    public static func == (lhs: RouteTable, rhs: RouteTable) -> Bool {
        guard lhs.routes.count == rhs.routes.count else { return false }
        for (prefix, index) in lhs.routes {
            guard let other = rhs.routes[prefix], rhs.attributeSets[other] == lhs.attributeSets[index] else {
                return false
            }
        }
        return true
    }

    /// One line per prefix, sorted: `10.0.0.1/32 nh 192.0.2.1 path [64500] lp 100 c [65535:65281] lc […]`.
    public var description: String {
        routes.keys.sorted().map { prefix in
            let a = attributeSets[routes[prefix]!]
            var line = "\(prefix) nh \(a.nextHop) path \(a.asPath)"
            if let localPref = a.localPref { line += " lp \(localPref)" }
            if !a.communities.isEmpty {
                line += " c " + a.communities.map { "\($0 >> 16):\($0 & 0xFFFF)" }.joined(separator: ",")
            }
            if !a.largeCommunities.isEmpty {
                line += " lc " + a.largeCommunities.map {
                    "\($0.globalAdministrator):\($0.localData1):\($0.localData2)"
                }.joined(separator: ",")
            }
            return line
        }.joined(separator: "\n")
    }
}
