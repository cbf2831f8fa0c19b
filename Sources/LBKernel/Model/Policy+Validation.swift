// Policy validation: MetalLB's configuration rules (see the MetalLB survey, §a) applied to lbd's own speaker.
//
// lbd's speaker supports IPv6 BGP, large communities, BFD and graceful restart, so MetalLB's native-mode-only
// limitations are not checked; its general rules are. The checks are split by object kind:
// - Policy+ValidationPools.swift: pool names, address entries, overlaps between any two entries, serviceAllocation.
// - Policy+ValidationAdvertisements.swift: Layer 2 and BGP advertisements, aggregation, localPref conflicts.
// - Policy+ValidationCommunities.swift: community strings and aliases.
// - Policy+ValidationPeers.swift: BGP peers and BFD profiles.
// - Policy+ValidationSelectors.swift: label selector lists, and whether two selector lists can select one object.
//
// Every check reports to a `PolicyProblemList` and carries on, so one run lists every problem.
//
// Where MetalLB is silent or lenient, lbd is stricter, and says so next to the rule (look for "lbd:"):
// unknown pool names in `ipAddressPools`, unknown `peers`, duplicate communities after alias resolution,
// alias names with a colon, hold times that either truncate or round to 1–2 s, a source address of the wrong
// family, router ID 0.0.0.0, port 0, `ebgpMultiHop` on `dynamicASN: internal` peers.

extension Policy {
    /// Every problem with the policy as a whole, in object order; empty when the policy is valid.
    ///
    /// All rules are checked; a problem in one object does not hide problems in another.
    public func validate() -> [ConfigProblem] {
        var problems = PolicyProblemList()
        validatePools(into: &problems)
        validateLayer2Advertisements(into: &problems)
        validateBGPAdvertisements(into: &problems)
        validateBGPPeers(into: &problems)
        validateBFDProfiles(into: &problems)
        validateCommunityAliases(into: &problems)
        return problems.problems
    }

    /// The policy itself when ``validate()`` finds nothing; otherwise throws every problem found.
    public func validated() throws(ConfigError) -> Policy {
        let problems = validate()
        if !problems.isEmpty { throw ConfigError(problems) }
        return self
    }

    /// The communities `advertisement` attaches, aliases resolved, in the order written.
    ///
    /// Throws the advertisement's community problems (bad values, unknown aliases, duplicates).
    public func resolvedCommunities(for advertisement: BGPAdvertisement) throws(ConfigError) -> [BGPCommunity] {
        let index = bgpAdvertisements.firstIndex(of: advertisement) ?? bgpAdvertisements.count
        let object = PolicyObjectKind.bgpAdvertisement.label(advertisement.name, index: index)
        let (values, problems) = resolveCommunities(advertisement.communities, object: object)
        if !problems.isEmpty { throw ConfigError(problems) }
        return values
    }
}

/// The kinds of policy object, as named in problems (`pool "default"`, `bgpPeer "tor"`).
enum PolicyObjectKind: String {
    case pool, layer2Advertisement, bgpAdvertisement, bgpPeer, bfdProfile, community

    /// `kind "name"`, or `kind #n` (1-based) when the object has no name.
    func label(_ name: String, index: Int) -> String {
        name.isEmpty ? "\(rawValue) #\(index + 1)" : "\(rawValue) \"\(name)\""
    }
}

/// Collects problems; each check appends and carries on.
struct PolicyProblemList {
    /// The problems found so far, in order.
    private(set) var problems: [ConfigProblem] = []

    /// Appends one problem.
    mutating func add(_ code: ConfigProblem.Code, _ object: String, _ field: String?, _ message: String) {
        problems.append(ConfigProblem(code, message, object: object, field: field))
    }

    /// Appends already-built problems.
    mutating func append(contentsOf more: [ConfigProblem]) { problems += more }

    /// Checks that every object of `kind` has a name and that no name is used twice.
    mutating func checkNames(_ names: [String], kind: PolicyObjectKind) {
        var firstIndex: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            let object = kind.label(name, index: index)
            if name.isEmpty {
                add(.missingKey, object, "name", "every \(kind.rawValue) needs a name; add `name:`")
            } else if let first = firstIndex[name] {
                add(.duplicate, object, "name",
                    "\(kind.rawValue) #\(index + 1) reuses the name \"\(name)\" of \(kind.rawValue) #\(first + 1); "
                    + "names must be unique: rename one of them")
            } else {
                firstIndex[name] = index
            }
        }
    }

    /// Checks that a list of names has no entry twice (MetalLB's `validateDuplicate`).
    mutating func checkDuplicates(_ values: [String], field: String, object: String) {
        var firstIndex: [String: Int] = [:]
        for (index, value) in values.enumerated() {
            if let first = firstIndex[value] {
                add(.duplicate, object, "\(field)[\(index)]",
                    "'\(value)' is already listed as \(field)[\(first)]; remove the duplicate")
            } else {
                firstIndex[value] = index
            }
        }
    }
}
