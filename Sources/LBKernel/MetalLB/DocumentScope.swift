// The problems of one MetalLB document (or of the config text inside one ConfigMap) while it is converted.

/// Collects the problems of one document: names the object, prefixes field paths, maps locations of config text
/// embedded in a ConfigMap back to the ConfigMap's file, and drops decoder errors the indentation diagnosis
/// already explained.
struct DocumentScope {
    /// The object problems name when nothing more specific applies (`ConfigMap "config"`, `IPAddressPool "a"`).
    var object: String
    /// Added to every line when the nodes come from config text embedded in a ConfigMap; columns are then dropped
    /// because the embedded text's indentation is not known.
    var lineOffset: Int?
    /// The problems found, in order, with their final locations.
    private(set) var problems: [ConfigProblem] = []
    /// Keys the indentation diagnosis found outside their object.
    private(set) var displacements: [MisindentationDiagnosis.Displacement] = []
    /// Locations (before mapping) of unknown keys already explained.
    private var explained: Set<SourceLocation> = []

    /// Creates a scope.
    init(object: String, lineOffset: Int? = nil) {
        self.object = object
        self.lineOffset = lineOffset
    }

    /// `location` in the file the user wrote (see ``lineOffset``).
    func relocated(_ location: SourceLocation) -> SourceLocation {
        guard let lineOffset else { return location }
        return SourceLocation(file: location.file, line: location.line.map { $0 + lineOffset }, column: nil)
    }

    /// Records a problem; `object` and a field prefix default to the scope's.
    mutating func report(_ problem: ConfigProblem, object: String? = nil, fieldPrefix: String = "") {
        var problem = problem
        problem.object = problem.object ?? object ?? self.object
        if !fieldPrefix.isEmpty {
            problem.field = problem.field.map { $0.hasPrefix("[") ? fieldPrefix + $0 : "\(fieldPrefix).\($0)" }
                ?? fieldPrefix
        }
        if problem.code == .missingKey, let field = problem.field,
           let moved = displacements.first(where: { field == "\($0.targetField).\($0.key)" }) {
            let line = relocated(moved.location).line.map { "line \($0)" } ?? "elsewhere"
            problem.message += " ('\(moved.key)' is written at \(line), outside this object; see the indentation "
                + "problem reported there)"
        }
        problem.location = problem.location.map(relocated)
        problems.append(problem)
    }

    /// Records a problem whose object, field and location are final.
    mutating func appendRelocated(_ problem: ConfigProblem) { problems.append(problem) }

    /// Records a problem built from its parts.
    mutating func report(_ code: ConfigProblem.Code, _ message: String, object: String? = nil, field: String? = nil,
                         at location: SourceLocation?) {
        report(ConfigProblem(code, message, object: object, field: field, location: location))
    }

    /// Runs the indentation diagnosis on `node` and records what it finds.
    mutating func diagnose(_ node: YAMLNode, schema: MisindentationDiagnosis.Schema, place: String,
                           field: String = "") {
        let diagnosis = MisindentationDiagnosis(node, schema: schema, place: place, field: field,
                                                lineOffset: lineOffset ?? 0)
        displacements += diagnosis.displacements
        for problem in diagnosis.problems {
            if let location = problem.location {
                guard explained.insert(location).inserted else { continue }
            }
            report(problem)
        }
    }

    /// Decodes `type` strictly from `node`, recording problems (under `object`, fields prefixed with `field`);
    /// nil when it cannot be decoded.
    mutating func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode, object: String? = nil,
                                       field: String = "") -> T? {
        do {
            return try StrictYAMLDecoder().decode(type, from: node)
        } catch {
            for var problem in error.problems {
                if problem.code == .unknownKey, let location = problem.location, explained.contains(location) {
                    continue
                }
                problem.message += Self.shapeHint(problem.message)
                report(problem, object: object, fieldPrefix: field)
            }
            return nil
        }
    }

    /// Advice for values that YAML read as another shape than the schema expects.
    private static func shapeHint(_ message: String) -> String {
        if message.hasPrefix("expected a list, found the value") || message.hasPrefix("expected a list, found the string") {
            return "; write a list: each entry on its own line starting with '- ', indented under the key"
        }
        if message.hasPrefix("expected a list, found a mapping") {
            return "; each entry of a list starts with '- ' (is a '- ' missing, or is a key indented too far?)"
        }
        if message.hasPrefix("expected a mapping, found a list") {
            return "; this takes 'key: value' lines, not '- ' list entries"
        }
        if message.hasPrefix("expected a mapping, found") {
            return "; this takes 'key: value' lines indented under it (are they missing or indented wrongly?)"
        }
        return ""
    }
}
