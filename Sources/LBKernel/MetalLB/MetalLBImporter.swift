// Reading MetalLB configuration as users already have it.
//
// MetalLBImporter is the entry point. It accepts, in any mix and any number of files:
// - the legacy ConfigMap (MetalLB ≤ 0.12: `kind: ConfigMap` with the YAML text in `data.config`), or that text
//   alone (LegacyConfigMap.swift, LegacyConfig.swift, LegacyConfig+Conversion.swift);
// - the `metallb.io` custom resources, v1beta1 and v1beta2 (MetalLBResources.swift and its +Conversion file);
// - `kind: List` wrappers of either.
// Every document is decoded strictly; MisindentationDiagnosis explains keys that lost or gained indentation.
// The resulting Policy is then checked as a whole by `Policy.validate()`, whose problems are pointed back at
// the MetalLB text they came from (MetalLBImport.swift). docs/metallb-migration.md is the user's guide.

/// Converts MetalLB configuration (legacy ConfigMap or `metallb.io` resources) to an lbd ``Policy``.
public enum MetalLBImporter {
    /// True when a document is a MetalLB ConfigMap (v1 ConfigMap whose data has key `config`), a `metallb.io`
    /// resource, or a bare legacy config text (top-level keys like `address-pools`, `peers`, `bgp-communities`,
    /// `bfd-profiles`).
    public static func recognizes(_ document: YAMLNode) -> Bool {
        switch MetalLBDocumentKind(document) {
        case .legacyConfigMap, .legacyConfig, .resource: true
        case .list(let items): items.contains(where: recognizes)
        case .unsupported: false
        }
    }

    /// Converts MetalLB documents (from any number of files, single or multi-document) to one validated Policy;
    /// collects every problem.
    ///
    /// Generated names: a legacy layer2 pool `P` gets the Layer 2 advertisement `P`; a legacy bgp pool `P` gets
    /// the BGP advertisements `P-1`, `P-2`, … (one per `bgp-advertisements` entry, or `P-1` alone when it has
    /// none); legacy peers are `peer1`, `peer2`, … in the order written across all documents. Resources keep
    /// their `metadata.name`.
    ///
    /// - Throws: ``ConfigError`` with every problem found, each naming file, line, object and field.
    public static func policy(from documents: [YAMLNode]) throws(ConfigError) -> Policy {
        var run = MetalLBImport()
        var documentsPerFile: [String: Int] = [:]
        for document in documents {
            let index = (documentsPerFile[document.location.file] ?? 0) + 1
            documentsPerFile[document.location.file] = index
            run.add(document, name: "document \(index)")
        }
        return try run.finish()
    }
}

/// What a YAML document is, as far as MetalLB is concerned.
enum MetalLBDocumentKind {
    /// A v1 ConfigMap that holds (or is meant to hold) a legacy config in `data.config`.
    case legacyConfigMap
    /// Legacy config text on its own.
    case legacyConfig
    /// A `metallb.io` resource.
    case resource(apiVersion: String, kind: String)
    /// A `v1` `List` with these items.
    case list([YAMLNode])
    /// Anything else.
    case unsupported(apiVersion: String?, kind: String?)

    /// The apiVersions lbd reads.
    static let apiVersions = ["metallb.io/v1beta1", "metallb.io/v1beta2"]

    /// Classifies `document`.
    init(_ document: YAMLNode) {
        let apiVersion = document["apiVersion"]?.scalar
        let kind = document["kind"]?.scalar
        switch (apiVersion, kind) {
        case ("v1", "ConfigMap"?):
            // A misindented `config:` (outside `data`) still marks a MetalLB ConfigMap.
            let config = document["data"]?["config"] ?? document["config"]
            self = config != nil ? .legacyConfigMap : .unsupported(apiVersion: apiVersion, kind: kind)
        case ("v1", "List"?):
            self = .list(document["items"]?.items ?? [])
        case let (version?, kind?) where version.hasPrefix("metallb.io/"):
            self = .resource(apiVersion: version, kind: kind)
        case (nil, nil):
            let keys = document.entries?.map(\.key) ?? []
            let legacy = Set(LegacyConfig.CodingKeys.allCaseNames)
            self = !keys.isEmpty && keys.contains(where: legacy.contains)
                ? .legacyConfig : .unsupported(apiVersion: nil, kind: nil)
        default:
            self = .unsupported(apiVersion: apiVersion, kind: kind)
        }
    }
}
