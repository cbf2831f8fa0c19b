/// Points policy validation problems (which name an object and a field, such as `pool "b"` and `addresses[0]`)
/// at the line of lbd's own documents where that object and field are written.
struct PolicyProblemLocator {
    /// The lbd documents the policy came from.
    var documents: [YAMLNode]

    /// The top-level key of lbd's schema for each object kind validation names.
    static let sections = [
        "pool": "pools", "layer2Advertisement": "layer2Advertisements", "bgpAdvertisement": "bgpAdvertisements",
        "bgpPeer": "bgpPeers", "bfdProfile": "bfdProfiles", "community": "communities",
    ]

    /// `problem` with its location filled in when it has none and its object is found; unchanged otherwise.
    func locate(_ problem: ConfigProblem) -> ConfigProblem {
        guard problem.location == nil, let object = problem.object,
              let (section, name) = Self.parse(object: object), let item = find(section: section, name: name)
        else { return problem }
        var located = problem
        located.location = Self.walk(item, field: problem.field ?? "").location
        return located
    }

    /// Splits `pool "b"` into (`pools`, `b`).
    static func parse(object: String) -> (section: String, name: String)? {
        guard let space = object.firstIndex(of: " "), let section = sections[String(object[..<space])] else {
            return nil
        }
        let rest = object[object.index(after: space)...]
        guard rest.count >= 2, rest.first == "\"", rest.last == "\"" else { return nil }
        return (section, String(rest.dropFirst().dropLast()))
    }

    /// The last item of `section` named `name` across the documents (duplicates are reported on the later one).
    func find(section: String, name: String) -> YAMLNode? {
        var found: YAMLNode?
        for document in documents {
            for item in document[section]?.items ?? [] where item["name"]?.scalar == name { found = item }
        }
        return found
    }

    /// The node at `field` (`addresses[0]`, `serviceAllocation.namespaces[1]`) below `node`, as far as it exists.
    static func walk(_ node: YAMLNode, field: String) -> YAMLNode {
        var current = node
        for part in field.split(separator: ".") {
            var key = Substring(part)
            var indices: [Int] = []
            while let open = key.lastIndex(of: "["), key.last == "]",
                  let index = Int(key[key.index(after: open)..<key.index(before: key.endIndex)]) {
                indices.insert(index, at: 0)
                key = key[..<open]
            }
            if !key.isEmpty {
                guard let next = current[String(key)] else { return current }
                current = next
            }
            for index in indices {
                guard let items = current.items, index < items.count else { return current }
                current = items[index]
            }
        }
        return current
    }
}
