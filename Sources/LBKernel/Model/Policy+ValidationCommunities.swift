// Community rules: each community of a BGP advertisement is an alias, `asn:value` (RFC 1997) or `large:a:b:c`
// (RFC 8092); aliases have unique names.

extension Policy {
    /// Aliases by name; the first definition wins (a second one is reported by `validateCommunityAliases`).
    private var aliasValues: [String: BGPCommunity] {
        var result: [String: BGPCommunity] = [:]
        for alias in communities where result[alias.name] == nil { result[alias.name] = alias.value }
        return result
    }

    /// Resolves an advertisement's community strings, returning the values and the problems found.
    ///
    /// As in MetalLB, a defined alias wins over parsing. A colon-less string that is no alias is an unknown alias
    /// (MetalLB: a transient error, the configuration is not applied). lbd also rejects two strings that resolve
    /// to the same value (`no-export` and `65535:65281`), which MetalLB silently merges.
    func resolveCommunities(_ strings: [String], object: String) -> ([BGPCommunity], [ConfigProblem]) {
        let aliases = aliasValues
        var values: [BGPCommunity] = []
        var firstIndex: [BGPCommunity: Int] = [:]
        var seen: [String: Int] = [:]
        var problems: [ConfigProblem] = []
        for (index, text) in strings.enumerated() {
            let field = "communities[\(index)]"
            if let first = seen[text] {
                problems.append(ConfigProblem(.duplicate, "'\(text)' is already listed as communities[\(first)]; "
                                              + "remove the duplicate", object: object, field: field))
                continue
            }
            seen[text] = index
            let value: BGPCommunity
            if let aliased = aliases[text] {
                value = aliased
            } else if let wellKnown = BGPCommunity.wellKnown[text] {
                value = wellKnown
            } else if !text.contains(":") {
                problems.append(ConfigProblem(
                    .unknownReference,
                    "'\(text)' is not a community alias defined under communities, nor a well-known name (\(BGPCommunity.wellKnown.keys.sorted().joined(separator: ", "))), "
                    + "nor a value such as 65535:65281 or large:64512:1:2; define the alias or write the value", object: object, field: field))
                continue
            } else {
                do {
                    value = try BGPCommunity(parsing: text)
                } catch {
                    problems.append(ConfigProblem(.invalidValue, error.description, object: object, field: field))
                    continue
                }
            }
            if let first = firstIndex[value] {
                problems.append(ConfigProblem(
                    .duplicate, "'\(text)' is \(value), the same community as communities[\(first)]; remove one",
                    object: object, field: field))
                continue
            }
            firstIndex[value] = index
            values.append(value)
        }
        return (values, problems)
    }

    /// Checks community aliases: names present and unique (across all definitions), and colon-free.
    ///
    /// Values are parsed when the alias is decoded, so a `CommunityAlias` always holds a valid value.
    func validateCommunityAliases(into problems: inout PolicyProblemList) {
        problems.checkNames(communities.map(\.name), kind: .community)
        for (index, alias) in communities.enumerated() where alias.name.contains(":") {
            // lbd: MetalLB accepts such names, but they read like values (`1:2` would shadow the value 1:2).
            problems.add(.invalidValue, PolicyObjectKind.community.label(alias.name, index: index), "name",
                         "an alias name may not contain ':', which marks a community value; rename the alias")
        }
    }
}
