// Label selector checks shared by pools, advertisements and peers, and the "can these two selector lists select
// the same object" test used where MetalLB compares resolved node sets (lbd's policy holds no node list, so it
// decides from the selectors alone and assumes an overlap unless one is provably impossible).

extension PolicyProblemList {
    /// Checks a selector list as MetalLB's `validateLabelSelectorDuplicate` does: no selector twice (values of a
    /// match expression compared as sets), no match expression twice in one selector, no value twice in one
    /// expression, and every selector valid (``LabelSelector/problem``).
    mutating func checkSelectors(_ selectors: [LabelSelector], field: String, object: String) {
        var seen: [LabelSelector: Int] = [:]
        for (index, selector) in selectors.enumerated() {
            let path = "\(field)[\(index)]"
            var expressionSeen: [LabelSelector.Requirement: Int] = [:]
            for (e, requirement) in selector.matchExpressions.enumerated() {
                let expressionPath = "\(path).matchExpressions[\(e)]"
                if Set(requirement.values).count != requirement.values.count {
                    add(.duplicate, object, "\(expressionPath).values",
                        "a value is listed twice for key '\(requirement.key)'; list each value once")
                }
                let normal = requirement.normalized
                if let first = expressionSeen[normal] {
                    add(.duplicate, object, expressionPath,
                        "the same match expression as matchExpressions[\(first)]; remove the duplicate")
                } else {
                    expressionSeen[normal] = e
                }
            }
            let normal = selector.normalized
            if let problem = normal.problem {
                add(.invalidValue, object, path, "invalid label selector: \(problem)")
            }
            if let first = seen[normal] {
                add(.duplicate, object, path, "the same selector as \(field)[\(first)]; remove the duplicate")
            } else {
                seen[normal] = index
            }
        }
    }
}

extension LabelSelector.Requirement {
    /// The requirement with its values sorted and deduplicated, for comparisons.
    var normalized: LabelSelector.Requirement {
        LabelSelector.Requirement(key: key, operator: `operator`, values: Array(Set(values)).sorted())
    }
}

extension LabelSelector {
    /// The selector with each expression's values sorted and deduplicated, for comparisons.
    var normalized: LabelSelector {
        LabelSelector(matchLabels: matchLabels, matchExpressions: matchExpressions.map(\.normalized))
    }

    /// What one selector demands of one label key.
    struct KeyConstraint {
        /// Whether an object without the label can match.
        var absentAllowed = true
        /// The values the label may have, or nil for any value.
        var allowed: Set<String>?
        /// Values the label may not have.
        var excluded: Set<String> = []

        /// The constraint of both `self` and `other`.
        func and(_ other: KeyConstraint) -> KeyConstraint {
            let allowed: Set<String>? = switch (self.allowed, other.allowed) {
            case (nil, nil): nil
            case (let a?, nil): a
            case (nil, let b?): b
            case (let a?, let b?): a.intersection(b)
            }
            return KeyConstraint(absentAllowed: absentAllowed && other.absentAllowed, allowed: allowed,
                                 excluded: excluded.union(other.excluded))
        }

        /// True when some label state (absent, or some value) satisfies the constraint.
        var isSatisfiable: Bool {
            if absentAllowed { return true }
            guard let allowed else { return true }  // infinitely many values, finitely many excluded
            return !allowed.subtracting(excluded).isEmpty
        }
    }

    /// The selector's demands, per label key.
    var keyConstraints: [String: KeyConstraint] {
        var result: [String: KeyConstraint] = [:]
        func add(_ key: String, _ constraint: KeyConstraint) {
            result[key] = result[key].map { $0.and(constraint) } ?? constraint
        }
        for (key, value) in matchLabels { add(key, KeyConstraint(absentAllowed: false, allowed: [value])) }
        for requirement in matchExpressions {
            switch requirement.operator {
            case .in: add(requirement.key, KeyConstraint(absentAllowed: false, allowed: Set(requirement.values)))
            case .notIn: add(requirement.key, KeyConstraint(excluded: Set(requirement.values)))
            case .exists: add(requirement.key, KeyConstraint(absentAllowed: false))
            case .doesNotExist: add(requirement.key, KeyConstraint(allowed: []))
            }
        }
        return result
    }

    /// False only when no set of labels can satisfy both selectors.
    func canMatchSameObject(as other: LabelSelector) -> Bool {
        let combined = keyConstraints.merging(other.keyConstraints) { $0.and($1) }
        return combined.values.allSatisfy(\.isSatisfiable)
    }
}

extension Array where Element == LabelSelector {
    /// False only when no object can be selected by both lists (an empty list selects everything).
    func canSelectSameObject(as other: [LabelSelector]) -> Bool {
        let mine = isEmpty ? [LabelSelector()] : self
        let theirs = other.isEmpty ? [LabelSelector()] : other
        return mine.contains { a in theirs.contains { b in a.canMatchSameObject(as: b) } }
    }
}
