/// Labels as Kubernetes has them: a string map.
public typealias Labels = [String: String]

/// A Kubernetes-style label selector: `matchLabels` and `matchExpressions`, all of which must hold.
///
/// An empty selector matches every object, as in Kubernetes.
public struct LabelSelector: Hashable, Sendable, Codable {
    /// Labels that must be present with exactly these values.
    public var matchLabels: Labels
    /// Further requirements, all of which must hold.
    public var matchExpressions: [Requirement]

    /// Creates a selector.
    public init(matchLabels: Labels = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// One requirement of a selector.
    public struct Requirement: Hashable, Sendable, Codable {
        /// The label key.
        public var key: String
        /// How the label is compared.
        public var `operator`: Operator
        /// The values for `In` and `NotIn`; empty for `Exists` and `DoesNotExist`.
        public var values: [String]

        /// Creates a requirement.
        public init(key: String, operator: Operator, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case key, `operator`, values }

        /// Decodes a requirement; `values` may be omitted.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            key = try c.decode(String.self, forKey: .key)
            `operator` = try c.decode(Operator.self, forKey: .operator)
            values = try c.decodeIfPresent([String].self, forKey: .values) ?? []
        }
    }

    /// The operators of a requirement.
    public enum Operator: String, Hashable, Sendable, Codable, CaseIterable {
        /// The label's value is one of `values`.
        case `in` = "In"
        /// The label is absent or its value is not one of `values`.
        case notIn = "NotIn"
        /// The label is present.
        case exists = "Exists"
        /// The label is absent.
        case doesNotExist = "DoesNotExist"
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case matchLabels, matchExpressions }

    /// Decodes a selector; both keys may be omitted.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        matchLabels = try c.decodeIfPresent(Labels.self, forKey: .matchLabels) ?? [:]
        matchExpressions = try c.decodeIfPresent([Requirement].self, forKey: .matchExpressions) ?? []
    }

    /// Encodes only the non-empty parts.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !matchLabels.isEmpty { try c.encode(matchLabels, forKey: .matchLabels) }
        if !matchExpressions.isEmpty { try c.encode(matchExpressions, forKey: .matchExpressions) }
    }

    /// A problem with the selector itself (for example `In` without values), or nil when it is valid.
    public var problem: String? {
        for requirement in matchExpressions {
            switch requirement.operator {
            case .in, .notIn:
                if requirement.values.isEmpty {
                    return "operator \(requirement.operator.rawValue) on key '\(requirement.key)' needs at least one value"
                }
                if Set(requirement.values).count != requirement.values.count {
                    return "duplicate values for key '\(requirement.key)'"
                }
            case .exists, .doesNotExist:
                if !requirement.values.isEmpty {
                    return "operator \(requirement.operator.rawValue) on key '\(requirement.key)' takes no values"
                }
            }
            if requirement.key.isEmpty { return "a match expression has an empty key" }
        }
        return nil
    }

    /// True when `labels` satisfy every part of the selector.
    public func matches(_ labels: Labels) -> Bool {
        for (key, value) in matchLabels where labels[key] != value { return false }
        for requirement in matchExpressions {
            let value = labels[requirement.key]
            switch requirement.operator {
            case .in: if value == nil || !requirement.values.contains(value!) { return false }
            case .notIn: if let value, requirement.values.contains(value) { return false }
            case .exists: if value == nil { return false }
            case .doesNotExist: if value != nil { return false }
            }
        }
        return true
    }
}

extension Array where Element == LabelSelector {
    /// True when the list is empty (matches all) or any selector matches.
    public func matchesAllOrAny(_ labels: Labels) -> Bool {
        isEmpty || contains { $0.matches(labels) }
    }
}
