// One run of the MetalLB importer: the policy built so far, the problems found, and where each policy object
// came from, so that `Policy.validate()`'s problems (which know only lbd's object names and field names) can be
// reported at the MetalLB text the user wrote.

/// The state of one ``MetalLBImporter/policy(from:)`` call.
struct MetalLBImport {
    /// The policy converted so far.
    var policy = Policy()
    /// The problems found so far, in document order.
    var problems: [ConfigProblem] = []
    /// Legacy peers converted so far (they are named `peer1`, `peer2`, … across all documents).
    var legacyPeerCount = 0
    /// Where each policy object came from, by its label in validation problems (`pool "default"`).
    private var origins: [String: [Origin]] = [:]

    /// The MetalLB text a policy object was converted from.
    struct Origin {
        /// The node the object's fields are read from (a legacy list item, or a resource's `spec`).
        var node: YAMLNode
        /// The object as the user knows it (`IPAddressPool "default"`, `pool "default" in ConfigMap "config"`).
        var object: String
        /// The field path of `node` in its document (`spec`, `address-pools[0]`).
        var field: String
        /// True for legacy text, whose keys are kebab-case.
        var legacy: Bool
        /// The scope's line offset for config text embedded in a ConfigMap.
        var lineOffset: Int?
        /// A resource's `metadata`, where the problems about its `name` and `labels` point.
        var metadata: YAMLNode? = nil
    }

    /// Keys found outside their object, by file and the field path they belong at, with the line they are on.
    private var displaced: [String: Int] = [:]

    /// Remembers the keys a document's indentation diagnosis found outside their object.
    mutating func recordDisplacements(of scope: DocumentScope) {
        for moved in scope.displacements {
            let location = scope.relocated(moved.location)
            guard let line = location.line else { continue }
            displaced["\(location.file)|\(moved.targetField).\(moved.key)"] = line
        }
    }

    /// Remembers where the object labelled `label` (as ``PolicyObjectKind/label(_:index:)`` makes it) came from.
    mutating func record(_ kind: PolicyObjectKind, _ name: String, index: Int, origin: Origin) {
        origins[kind.label(name, index: index), default: []].append(origin)
    }

    /// Converts one document, recording its objects and problems.
    mutating func add(_ document: YAMLNode, name: String) {
        switch MetalLBDocumentKind(document) {
        case .legacyConfigMap:
            addConfigMap(document, name: name)
        case .legacyConfig:
            var scope = DocumentScope(object: "MetalLB config (\(name))")
            addLegacyConfig(document, scope: &scope)
            recordDisplacements(of: scope)
            problems += scope.problems
        case .resource(let apiVersion, let kind):
            addResource(document, apiVersion: apiVersion, kind: kind, name: name)
        case .list(let items):
            var scope = DocumentScope(object: "List (\(name))")
            scope.diagnose(document, schema: .list, place: "the top level of the document")
            problems += scope.problems
            for (index, item) in items.enumerated() {
                add(item, name: "\(name), items[\(index)]")
            }
        case .unsupported(let apiVersion, let kind):
            problems.append(Self.unsupported(document, name: name, apiVersion: apiVersion, kind: kind))
        }
    }

    /// The problem for a document lbd does not read.
    static func unsupported(_ document: YAMLNode, name: String, apiVersion: String?, kind: String?) -> ConfigProblem {
        let what: String
        switch (apiVersion, kind) {
        case let (version?, kind?): what = "apiVersion '\(version)', kind '\(kind)' is not MetalLB configuration"
        case (nil, nil) where document.entries == nil: what = "\(document.shapeName) is not MetalLB configuration"
        case (nil, nil): what = "a document without apiVersion and kind, and without legacy MetalLB keys "
            + "(\(LegacyConfig.CodingKeys.allCaseNames.joined(separator: ", "))), is not MetalLB configuration"
        default: what = "a document needs both apiVersion and kind (found apiVersion \(apiVersion ?? "none"), kind "
            + "\(kind ?? "none"))"
        }
        return ConfigProblem(
            .unsupportedDocument,
            what + "; lbd reads MetalLB's legacy ConfigMap (v1 ConfigMap with data.config), its config text alone, "
                + "and metallb.io/v1beta1 IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer, Community, "
                + "BFDProfile and metallb.io/v1beta2 BGPPeer",
            object: name, location: document.location)
    }

    /// Validates the policy as a whole and returns it, or throws every problem found.
    mutating func finish() throws(ConfigError) -> Policy {
        problems += policy.validate().map(located)
        if !problems.isEmpty { throw ConfigError(problems) }
        return policy
    }

    /// A validation problem pointed at the MetalLB text its object came from.
    func located(_ problem: ConfigProblem) -> ConfigProblem {
        guard problem.location == nil, let label = problem.object, let found = origins[label], !found.isEmpty else {
            return problem
        }
        // A duplicate name is reported on the later object.
        let origin = problem.code == .duplicate && found.count > 1 ? found[1] : found[0]
        var result = problem
        result.object = origin.object
        var node = origin.node
        var path = origin.field
        let components = Self.components(of: problem.field ?? "")
        if let metadata = origin.metadata, case .key(let key)? = components.first, key == "name" || key == "labels" {
            node = metadata
            path = "metadata"
        }
        for component in components {
            switch component {
            case .key(let key):
                let written = origin.legacy ? LegacyConfig.legacyKeys[key] ?? key : key
                path = MisindentationDiagnosis.join(path, written)
                if let child = node[written] { node = child }
            case .index(let index):
                path += "[\(index)]"
                if let items = node.items, index < items.count { node = items[index] }
            }
        }
        result.field = path.isEmpty ? nil : path
        if let line = displaced["\(node.location.file)|\(path)"] {
            result.message += " ('\(path.split(separator: ".").last ?? "")' is written at line \(line), outside this "
                + "object; see the indentation problem reported there)"
        }
        var location = node.location
        if let offset = origin.lineOffset {
            location = SourceLocation(file: location.file, line: location.line.map { $0 + offset }, column: nil)
        }
        result.location = location
        return result
    }

    private enum PathComponent { case key(String), index(Int) }

    /// `a.b[2].c` as keys and indexes.
    private static func components(of field: String) -> [PathComponent] {
        var result: [PathComponent] = []
        for part in field.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                if bracket != rest.startIndex { result.append(.key(String(rest[..<bracket]))) }
                rest = rest[bracket...]
                while rest.first == "[", let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) { result.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                result.append(.key(String(rest)))
            }
        }
        return result
    }
}
