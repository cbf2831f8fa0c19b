public import LBKernel

extension AdjRIBOut {
    /// What to send a peer to bring it from what it has to what it should have (RFC 4271 §9.2).
    ///
    /// A prefix appears at most once: either announced (new, or with new attributes, which implicitly replaces
    /// the old route, RFC 4271 §3.1) or withdrawn. Announcements are grouped by identical attributes so that one
    /// UPDATE carries as many prefixes as fit.
    public struct Changes: Hashable, Sendable, CustomStringConvertible {
        /// Prefixes to announce, grouped by attribute set; ordered by family, then by each group's first prefix.
        public var announcements: [Announcement]
        /// Prefixes to withdraw, by family, each list sorted.
        public var withdrawals: [AddressFamily: [IPPrefix]]

        /// Creates changes.
        public init(announcements: [Announcement] = [], withdrawals: [AddressFamily: [IPPrefix]] = [:]) {
            self.announcements = announcements
            self.withdrawals = withdrawals
        }

        /// True when nothing is to be sent.
        public var isEmpty: Bool { announcements.isEmpty && withdrawals.isEmpty }

        /// The number of prefixes announced.
        public var announcedCount: Int { announcements.reduce(0) { $0 + $1.prefixes.count } }

        /// The number of prefixes withdrawn.
        public var withdrawnCount: Int { withdrawals.values.reduce(0) { $0 + $1.count } }

        /// The families with any change, sorted.
        public var families: [AddressFamily] {
            Array(Set(announcements.map(\.family)).union(withdrawals.keys)).sorted()
        }

        /// The announcements as `(path attributes, family, prefixes)` groups, the form UPDATE packing takes.
        public var attributeGroups: [(attributes: PathAttributes, family: AddressFamily, prefixes: [IPPrefix])] {
            announcements.map { ($0.attributes.pathAttributes, $0.family, $0.prefixes) }
        }

        /// `+3 -1 (ipv4-unicast, ipv6-unicast)`.
        public var description: String {
            "+\(announcedCount) -\(withdrawnCount) (\(families.map(\.description).joined(separator: ", ")))"
        }
    }

    /// Prefixes announced together with one attribute set.
    public struct Announcement: Hashable, Sendable {
        /// The attributes every prefix of the group gets.
        public var attributes: RouteAttributes
        /// The prefixes, sorted; all of the family of ``attributes``.
        public var prefixes: [IPPrefix]

        /// Creates a group.
        public init(attributes: RouteAttributes, prefixes: [IPPrefix]) {
            self.attributes = attributes
            self.prefixes = prefixes
        }

        /// The family of the prefixes.
        public var family: AddressFamily { attributes.family }
    }

    /// Sorts prefixes of one family: by network, then length (cheaper than ``IPPrefix``'s own order, which first
    /// compares families).
    static func sorted(_ prefixes: [IPPrefix]) -> [IPPrefix] {
        prefixes.sorted { a, b in
            let x = a.network.value, y = b.network.value
            return x != y ? x < y : a.length < b.length
        }
    }
}
