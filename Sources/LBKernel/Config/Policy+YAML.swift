internal import Yams

// lbd's own YAML for a policy: the schema `Policy`'s Codable conformance defines, with struct fields in their
// declared order and free-form label maps sorted by key, so the same policy always prints the same text.

extension Policy {
    /// lbd's own YAML for this policy (what `lbd convert` prints); decodes back with StrictYAMLDecoder to an equal
    /// Policy.
    public func yamlText() -> String {
        do {
            let encoded = try YAMLEncoder().encode(self)
            guard let node = try Yams.compose(yaml: encoded) else { return "{}\n" }
            return try Yams.serialize(node: Self.sortingLabelMaps(node, key: nil, parentKey: nil))
        } catch {
            preconditionFailure("a Policy always encodes to YAML: \(error)")
        }
    }

    /// Keys whose values are free-form maps (label maps), and `namespaceLabels`, whose values are label maps.
    private static let labelMapKeys: Set<String> = ["labels", "matchLabels", "namespaceLabels"]

    /// `node` with every label map's keys sorted (dictionaries have no stable order of their own).
    private static func sortingLabelMaps(_ node: Yams.Node, key: String?, parentKey: String?) -> Yams.Node {
        switch node {
        case .mapping(var mapping):
            let sort = key.map(labelMapKeys.contains) ?? false || parentKey == "namespaceLabels"
            var pairs: [(Yams.Node, Yams.Node)] = mapping.map { pair in
                (pair.key, sortingLabelMaps(pair.value, key: pair.key.string, parentKey: key))
            }
            if sort { pairs.sort { ($0.0.string ?? "") < ($1.0.string ?? "") } }
            mapping = Yams.Node.Mapping(pairs, mapping.tag, mapping.style)
            return .mapping(mapping)
        case .sequence(var sequence):
            sequence = Yams.Node.Sequence(sequence.map { sortingLabelMaps($0, key: nil, parentKey: key) }, sequence.tag,
                                     sequence.style)
            return .sequence(sequence)
        default:
            return node
        }
    }
}
