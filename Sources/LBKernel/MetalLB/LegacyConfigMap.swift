// The legacy ConfigMap envelope: `apiVersion: v1`, `kind: ConfigMap`, metadata, and the config as YAML text in
// `data.config`. The text is parsed on its own; its line numbers are mapped back to the ConfigMap's file.

extension MetalLBImport {
    /// Converts a legacy MetalLB ConfigMap: checks the envelope, then parses and converts `data.config`.
    ///
    /// Line mapping: a literal block (`config: |`) starts on the line after the key, so line *n* of the text is
    /// line *key line + n* of the file. A one-line value is on the key's own line.
    mutating func addConfigMap(_ document: YAMLNode, name: String) {
        var scope = DocumentScope(object: "ConfigMap (\(name))")
        if let configMapName = (document["metadata"]?["name"] ?? document["name"])?.scalar {
            scope.object = "ConfigMap \"\(configMapName)\""
        }
        scope.diagnose(document, schema: .configMap, place: "the top level of the document")
        if let metadata = document["metadata"], metadata.value != .null {
            _ = scope.decode(ObjectMeta.self, from: metadata, field: "metadata")
        }
        defer { problems += scope.problems }
        // A `config:` that lost its indentation was reported above; convert it anyway to find more problems.
        guard let config = document["data"]?.entry("config") ?? document.entry("config") else {
            scope.report(.missingKey, "a MetalLB ConfigMap holds its configuration as YAML text in data.config "
                         + "(`data:` then `  config: |` and the config indented below it)",
                         field: "data.config", at: (document["data"] ?? document).location)
            return
        }
        guard case .scalar(let text, _) = config.value.value else {
            scope.report(.wrongType, "data.config must be the configuration as text, found \(config.value.shapeName): "
                         + "write `config: |` and indent the configuration below it",
                         field: "data.config", at: config.value.location)
            return
        }
        let line = config.value.location.line ?? config.keyLocation.line ?? 1
        var inner = DocumentScope(object: scope.object, lineOffset: text.contains("\n") ? line : line - 1)
        do {
            for configDocument in try YAMLNode.documents(in: text, file: document.location.file) {
                addLegacyConfig(configDocument, scope: &inner)
            }
        } catch {
            inner.report(error, fieldPrefix: "data.config")
        }
        recordDisplacements(of: inner)
        scope.append(inner)
    }
}

extension DocumentScope {
    /// Appends the problems of a nested scope (already relocated).
    mutating func append(_ other: DocumentScope) {
        for problem in other.problems { appendRelocated(problem) }
    }
}
