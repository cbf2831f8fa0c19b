// Explains keys that YAML put at the wrong level because of lost or extra indentation.
//
// YAML cannot see a misplaced key: `namespace:` written flush left under an empty `metadata:` is simply a
// top-level key, and `protocol:` flush with `- name: default` is a key of the config, not of the pool. The
// strict decoder then reports "unknown key". This diagnosis walks a document against a ``Schema`` (which keys
// each mapping may hold, and which values are mappings or lists of mappings) and, for every unknown key, looks
// for the place the key was meant to be: an empty or preceding sibling mapping, the list item just above it,
// or an enclosing mapping (indented too deeply). Columns are compared relatively, so the advice ("indent it
// by 2 more spaces, to line up with 'name'") holds for text embedded in a ConfigMap too.

/// Finds keys written at the wrong indentation level in a document and says where they belong and how to fix it.
struct MisindentationDiagnosis {
    /// Which keys a mapping may hold and which of their values are themselves mappings or lists of mappings.
    struct Schema: Sendable {
        /// The keys allowed, in the order they are listed in messages.
        var keys: [String]
        /// The values that are walked further; keys not here hold scalars or free-form maps.
        var nested: [String: Field]
        /// What one item of a list of this schema is called (`pool`, `peer`), named by its `name` key if any.
        var itemNoun: String

        /// Creates a schema.
        init(keys: [String], nested: [String: Field] = [:], itemNoun: String = "item") {
            self.keys = keys
            self.nested = nested
            self.itemNoun = itemNoun
        }

        /// True when `key` is allowed here.
        func allows(_ key: String) -> Bool { keys.contains(key) }
    }

    /// The shape of a nested value.
    indirect enum Field: Sendable {
        /// A mapping with its own schema.
        case mapping(Schema)
        /// A list whose items are mappings with this schema.
        case list(Schema)

        var schema: Schema {
            switch self {
            case .mapping(let schema), .list(let schema): schema
            }
        }
    }

    /// A key found outside the object it belongs to; a "missing key" problem of that object can point to it.
    struct Displacement: Hashable, Sendable {
        /// The key.
        var key: String
        /// The field path of the object it belongs to (`address-pools[0]`, `metadata`).
        var targetField: String
        /// Where the key is written.
        var location: SourceLocation
    }

    /// One mapping on the way from the root to the key being explained.
    private struct Frame {
        var node: YAMLNode
        var schema: Schema
        var place: String
        var field: String
    }

    /// The unknown-key problems found, one per key, with the explanation.
    private(set) var problems: [ConfigProblem] = []
    /// The misplaced keys whose intended object was found.
    private(set) var displacements: [Displacement] = []

    /// Added to line numbers quoted in messages (for config text embedded in a ConfigMap).
    private let lineOffset: Int

    /// Diagnoses `node` against `schema`; `place` names the root in messages ("the top level of the config");
    /// `lineOffset` is added to the line numbers the messages quote.
    init(_ node: YAMLNode, schema: Schema, place: String, field: String = "", lineOffset: Int = 0) {
        self.lineOffset = lineOffset
        walk(Frame(node: node, schema: schema, place: place, field: field), ancestors: [])
    }

    private mutating func walk(_ frame: Frame, ancestors: [Frame]) {
        guard let entries = frame.node.entries else { return }
        for entry in entries {
            let field = Self.join(frame.field, entry.key)
            guard frame.schema.allows(entry.key) else {
                explain(entry, in: frame, ancestors: ancestors)
                continue
            }
            switch frame.schema.nested[entry.key] {
            case .mapping(let schema)?:
                walk(Frame(node: entry.value, schema: schema, place: "'\(entry.key)'", field: field),
                     ancestors: ancestors + [frame])
            case .list(let schema)?:
                for (index, item) in (entry.value.items ?? []).enumerated() where item.entries != nil {
                    walk(Frame(node: item, schema: schema,
                               place: Self.itemName(item, index: index, list: entry.key, schema: schema),
                               field: "\(field)[\(index)]"),
                         ancestors: ancestors + [frame])
                }
            case nil:
                break
            }
        }
    }

    /// Explains one unknown key.
    private mutating func explain(_ entry: YAMLNode.Entry, in frame: Frame, ancestors: [Frame]) {
        let key = entry.key
        let field = Self.join(frame.field, key)
        let location = entry.keyLocation
        func report(_ message: String) {
            problems.append(ConfigProblem(.unknownKey, message, field: field, location: location))
        }
        if let (sibling, schema, isList) = home(for: key, in: frame, before: location) {
            let target = Self.join(frame.field, sibling.key)
            let siblingLine = lineNote(sibling.keyLocation)
            if isList, let items = sibling.value.items, !items.isEmpty {
                let (index, item) = Self.itemAbove(location, in: items)
                let name = Self.itemName(item, index: index, list: sibling.key, schema: schema)
                let header = Self.itemHeader(item)
                let line = lineNote(item.location)
                displacements.append(Displacement(key: key, targetField: "\(target)[\(index)]", location: location))
                report("'\(key)' is at \(frame.place) instead of inside \(name): it belongs to the list item "
                       + "`\(header)`\(line) but is not indented under it; indent it under `\(header)`"
                       + Self.shift(from: location, toAlignWith: item.entries?.first?.keyLocation,
                                    named: item.entries?.first?.key))
            } else if isList {
                report("'\(key)' is at \(frame.place), but it belongs to an item of '\(sibling.key)'\(siblingLine), "
                       + "which is empty; write it inside a list item under '\(sibling.key):' "
                       + "(`- \(key): ...`, indented under '\(sibling.key)')")
            } else if sibling.value.entries?.isEmpty ?? true {
                displacements.append(Displacement(key: key, targetField: target, location: location))
                report("'\(key)' is outside '\(sibling.key)': it is written at \(frame.place), but it belongs "
                       + "under '\(sibling.key)'\(siblingLine), which is empty as written; indent '\(key)' "
                       + "(2 spaces more than '\(sibling.key):') so it is inside '\(sibling.key)'")
            } else {
                displacements.append(Displacement(key: key, targetField: target, location: location))
                report("'\(key)' is outside '\(sibling.key)': it is written at \(frame.place), but it belongs "
                       + "inside '\(sibling.key)'\(siblingLine); indent it"
                       + Self.shift(from: location, toAlignWith: sibling.value.entries?.first?.keyLocation,
                                    named: sibling.value.entries?.first?.key))
            }
            return
        }
        if let ancestor = ancestors.last(where: { $0.schema.allows(key) }) {
            let reference = ancestor.node.entries?.first?.keyLocation
            var message = "'\(key)' is indented too deeply: it is written inside \(frame.place), but it belongs "
                + "at \(ancestor.place); move it out"
            if let column = location.column, let target = reference?.column, column > target {
                message += " by \(column - target) spaces"
                if let name = ancestor.node.entries?.first?.key { message += ", to line up with '\(name)'" }
            }
            report(message)
            return
        }
        for ancestor in ancestors.reversed() {
            guard let entry = ancestor.node.entries?.first(where: { candidate in
                candidate.value.entries != nil && ancestor.schema.nested[candidate.key].map {
                    if case .mapping(let schema) = $0 { schema.allows(key) } else { false }
                } ?? false
            }) else { continue }
            let line = lineNote(entry.keyLocation)
            report("'\(key)' is inside \(frame.place), but it belongs in '\(entry.key)'\(line); move it there")
            return
        }
        var message = "unknown key '\(key)' at \(frame.place)"
        if let suggestion = Self.suggestion(for: key, among: frame.schema.keys) {
            message += "; did you mean '\(suggestion)'?"
        }
        message += " (allowed here: \(frame.schema.keys.joined(separator: ", ")))"
        report(message)
    }

    /// The sibling whose schema allows `key`: the nearest one written before it, else any.
    private func home(for key: String, in frame: Frame, before location: SourceLocation)
        -> (YAMLNode.Entry, Schema, Bool)? {
        var candidates: [(YAMLNode.Entry, Schema, Bool)] = []
        for entry in frame.node.entries ?? [] {
            guard frame.schema.allows(entry.key), let field = frame.schema.nested[entry.key],
                  field.schema.allows(key) else { continue }
            if case .list = field {
                // A list written as a scalar or mapping is a different mistake.
                guard entry.value.items != nil || entry.value.value == .null else { continue }
                candidates.append((entry, field.schema, true))
            } else {
                guard entry.value.entries != nil || entry.value.value == .null else { continue }
                candidates.append((entry, field.schema, false))
            }
        }
        let line = location.line ?? .max
        return candidates.last { ($0.0.keyLocation.line ?? 0) < line } ?? candidates.first
    }

    /// ` (line n)` in the user's file, or nothing when the line is unknown.
    private func lineNote(_ location: SourceLocation) -> String {
        location.line.map { " (line \($0 + lineOffset))" } ?? ""
    }

    /// The last item starting before `location`, else the first.
    private static func itemAbove(_ location: SourceLocation, in items: [YAMLNode]) -> (Int, YAMLNode) {
        let line = location.line ?? .max
        let index = items.lastIndex { ($0.location.line ?? 0) < line } ?? 0
        return (index, items[index])
    }

    /// `pool 'default'`, or `item 2 of 'address-pools'` for an item without a name.
    static func itemName(_ item: YAMLNode, index: Int, list: String, schema: Schema) -> String {
        if let name = item["name"]?.scalar { return "\(schema.itemNoun) '\(name)'" }
        return "item \(index + 1) of '\(list)'"
    }

    /// The item's first line as written: `- name: default`.
    private static func itemHeader(_ item: YAMLNode) -> String {
        guard let first = item.entries?.first else { return "-" }
        if let scalar = first.value.scalar { return "- \(first.key): \(scalar)" }
        return "- \(first.key):"
    }

    /// `by 2 more spaces, to line up with 'name'`, when the columns are known.
    private static func shift(from location: SourceLocation, toAlignWith reference: SourceLocation?,
                              named name: String?) -> String {
        guard let column = location.column, let target = reference?.column, target > column else { return "" }
        let spaces = target - column
        return " by \(spaces) more space\(spaces == 1 ? "" : "s")" + (name.map { ", to line up with '\($0)'" } ?? "")
    }

    /// A known key close to `key`: same letters ignoring case, `-` and `_`, or at most two edits away.
    static func suggestion(for key: String, among keys: [String]) -> String? {
        func folded(_ text: String) -> String { text.lowercased().filter { $0 != "-" && $0 != "_" } }
        if let same = keys.first(where: { folded($0) == folded(key) }) { return same }
        let scored = keys.map { ($0, editDistance(folded($0), folded(key))) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// `prefix.key`, or `key` at the root.
    static func join(_ prefix: String, _ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
}
