import Foundation

/// A label or field selector as it appears in a `labelSelector` / `fieldSelector` query parameter: comma-separated
/// requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case exists(String)
        case absent(String)
        case equals(String, String)
        case notEquals(String, String)
        case within(String, Set<String>)
        case notWithin(String, Set<String>)
    }

    var requirements: [Requirement]

    /// Parses `text`; throws a 400 naming the requirement it cannot read.
    init(parsing text: String) throws {
        var parts: [String] = [], current = "", depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        requirements = try parts.map { $0.trimmingSpaces }.filter { !$0.isEmpty }.map(Self.requirement)
    }

    private static func requirement(_ part: String) throws -> Requirement {
        if let range = part.range(of: "!=") {
            return .notEquals(String(part[..<range.lowerBound]).trimmingSpaces,
                              String(part[range.upperBound...]).trimmingSpaces)
        }
        if let range = part.range(of: "==") ?? part.range(of: "=") {
            return .equals(String(part[..<range.lowerBound]).trimmingSpaces,
                           String(part[range.upperBound...]).trimmingSpaces)
        }
        for (word, negated) in [(" notin ", true), (" in ", false)] {
            if let range = part.range(of: word) {
                let key = String(part[..<range.lowerBound]).trimmingSpaces
                var list = String(part[range.upperBound...]).trimmingSpaces
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw APIError.badRequest("unable to parse requirement: \(part)")
                }
                list = String(list.dropFirst().dropLast())
                let values = Set(list.split(separator: ",").map { String($0).trimmingSpaces })
                return negated ? .notWithin(key, values) : .within(key, values)
            }
        }
        if part.hasPrefix("!") { return .absent(String(part.dropFirst()).trimmingSpaces) }
        guard !part.contains(" ") else { throw APIError.badRequest("unable to parse requirement: \(part)") }
        return .exists(part)
    }

    /// The keys the requirements name.
    var keys: [String] {
        requirements.map { requirement in
            switch requirement {
            case .exists(let key), .absent(let key), .equals(let key, _), .notEquals(let key, _), .within(let key, _),
                 .notWithin(let key, _): key
            }
        }
    }

    /// True when `values` (labels, or the fields a field selector may name) meet every requirement.
    func matches(_ values: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .exists(let key): values[key] != nil
            case .absent(let key): values[key] == nil
            case .equals(let key, let value): values[key] == value
            case .notEquals(let key, let value): values[key] != value
            case .within(let key, let set): values[key].map(set.contains) ?? false
            case .notWithin(let key, let set): !(values[key].map(set.contains) ?? false)
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
