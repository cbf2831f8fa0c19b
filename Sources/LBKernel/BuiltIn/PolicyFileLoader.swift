import Glibc

/// What a set of files holds once loaded: the merged policy, the services and the nodes, in file order.
public struct LoadedFiles: Hashable, Sendable {
    /// The policy of every document, merged (and validated, unless the loader was told not to).
    public var policy: Policy
    /// Every service of every document.
    public var services: [Service]
    /// Every node of every document.
    public var nodes: [Node]

    /// Creates a result.
    public init(policy: Policy = .empty, services: [Service] = [], nodes: [Node] = []) {
        self.policy = policy
        self.services = services
        self.nodes = nodes
    }
}

/// Reads lbd's policy files: each file holds one or more YAML documents, each in lbd's own schema
/// (``LBDDocument``) or a MetalLB resource.
///
/// The file source, `lbd check` and `lbd plan` all load files through this type, so they accept and reject the
/// same things. Loading never stops at the first problem: the ``ConfigError`` lists every problem found, each
/// with its file, line and key.
public struct PolicyFileLoader: Sendable {
    /// Whether ``load(paths:)`` also checks the merged policy with `Policy.validate()`.
    public var validatesPolicy: Bool

    /// Creates a loader that validates the merged policy.
    public init() { validatesPolicy = true }

    /// Creates a loader; pass false when the files hold only part of a policy that is validated elsewhere.
    public init(validatesPolicy: Bool) { self.validatesPolicy = validatesPolicy }

    /// Loads `paths` in order and merges them.
    ///
    /// - Throws: ``ConfigError`` with every problem: unreadable files, YAML syntax, unknown keys, bad values,
    ///   services or nodes defined twice, and (when ``validatesPolicy``) every problem of the merged policy.
    public func load(paths: [String]) throws(ConfigError) -> LoadedFiles {
        var documents: [(file: String, nodes: [YAMLNode])] = []
        var problems: [ConfigProblem] = []
        for path in paths {
            do {
                documents.append((path, try Self.documents(atPath: path)))
            } catch {
                problems.append(error)
            }
        }
        return try merge(documents, problems: problems)
    }

    /// Loads one YAML text as if it were the file `file` (for tests and for text that is not in a file).
    public func load(text: String, file: String) throws(ConfigError) -> LoadedFiles {
        do {
            return try merge([(file, try YAMLNode.documents(in: text, file: file))], problems: [])
        } catch let problem as ConfigProblem {
            throw ConfigError([problem])
        } catch let error as ConfigError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// The YAML documents of the file at `path`.
    static func documents(atPath path: String) throws(ConfigProblem) -> [YAMLNode] {
        let bytes: [UInt8]
        do {
            bytes = try Self.readFile(atPath: path)
        } catch {
            throw ConfigProblem(.io, "cannot read the file: \(error.message)", location: SourceLocation(file: path))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigProblem(.syntax, "the file is not UTF-8 text", location: SourceLocation(file: path))
        }
        return try YAMLNode.documents(in: text, file: path)
    }

    private func merge(_ files: [(file: String, nodes: [YAMLNode])], problems initial: [ConfigProblem])
        throws(ConfigError) -> LoadedFiles {
        var problems = initial
        var result = LoadedFiles()
        var metalLBDocuments: [YAMLNode] = []
        var serviceLocations: [ServiceID: SourceLocation] = [:]
        var nodeLocations: [String: SourceLocation] = [:]
        var lbdDocuments: [YAMLNode] = []
        for (_, nodes) in files {
            for node in nodes {
                if Self.isMetalLBResource(node) {
                    metalLBDocuments.append(node)
                    continue
                }
                if node["kind"] != nil || node["apiVersion"] != nil {
                    let kind = node["kind"]?.scalar ?? "?", apiVersion = node["apiVersion"]?.scalar ?? "?"
                    problems.append(ConfigProblem(
                        .unsupportedDocument,
                        "kind '\(kind)' of apiVersion '\(apiVersion)' is not a document lbd reads: use lbd's own "
                            + "schema (no apiVersion or kind), a MetalLB resource (apiVersion metallb.io/v1beta1 or "
                            + "v1beta2) or MetalLB's legacy ConfigMap",
                        location: node.location))
                    continue
                }
                let document: LBDDocument
                do {
                    document = try LBDDocument.decode(from: node)
                } catch {
                    problems += error.problems
                    continue
                }
                result.policy = result.policy.merged(with: document.policy)
                lbdDocuments.append(node)
                let serviceItems = node["services"]?.items ?? []
                for (index, entry) in document.services.enumerated() {
                    let entryNode = index < serviceItems.count ? serviceItems[index] : node
                    problems += entry.problems(node: entryNode, field: "services[\(index)]")
                    if let first = serviceLocations[entry.id] {
                        problems.append(ConfigProblem(
                            .duplicate, "service \"\(entry.id)\" is defined twice (first at \(first))",
                            object: "service \"\(entry.id)\"", field: "services[\(index)].name",
                            location: entryNode.entry("name")?.value.location ?? entryNode.location))
                    } else {
                        serviceLocations[entry.id] = entryNode.location
                        result.services.append(entry.service)
                    }
                }
                let nodeItems = node["nodes"]?.items ?? []
                for (index, lbNode) in document.nodes.enumerated() {
                    let itemNode = index < nodeItems.count ? nodeItems[index] : node
                    if let first = nodeLocations[lbNode.name] {
                        problems.append(ConfigProblem(
                            .duplicate, "node \"\(lbNode.name)\" is defined twice (first at \(first))",
                            object: "node \"\(lbNode.name)\"", field: "nodes[\(index)].name",
                            location: itemNode.entry("name")?.value.location ?? itemNode.location))
                    } else if lbNode.name.isEmpty {
                        problems.append(ConfigProblem(.invalidValue, "a node name must not be empty",
                                                      field: "nodes[\(index)].name", location: itemNode.location))
                    } else {
                        nodeLocations[lbNode.name] = itemNode.location
                        result.nodes.append(lbNode)
                    }
                }
            }
        }
        if !metalLBDocuments.isEmpty {
            do {
                result.policy = result.policy.merged(with: try Self.importMetalLB(metalLBDocuments))
            } catch {
                problems += error.problems
            }
        }
        if problems.isEmpty && validatesPolicy {
            let locator = PolicyProblemLocator(documents: lbdDocuments)
            problems += result.policy.validate().map(locator.locate)
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return result
    }

    /// True when `node` is MetalLB configuration rather than a document in lbd's own schema.
    ///
    /// A document without `apiVersion` and `kind` that uses any of lbd's top-level keys is lbd's, even when it
    /// also has a key of MetalLB's legacy config (such as `peers`), so the unknown key is reported against lbd's
    /// schema.
    static func isMetalLBResource(_ node: YAMLNode) -> Bool {
        guard MetalLBImporter.recognizes(node) else { return false }
        if node["apiVersion"] != nil || node["kind"] != nil { return true }
        let lbdKeys = Set(LBDDocument.CodingKeys.allCaseNames)
        return !(node.entries ?? []).contains { lbdKeys.contains($0.key) }
    }

    /// The policy of MetalLB documents.
    static func importMetalLB(_ documents: [YAMLNode]) throws(ConfigError) -> Policy {
        try MetalLBImporter.policy(from: documents)
    }

    /// The whole content of the file at `path`.
    static func readFile(atPath path: String) throws(FileReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(errno: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }
}

/// Why a file could not be read: the system's error.
struct FileReadError: Error, Hashable, Sendable {
    /// The `errno` value.
    var errno: Int32

    /// The system's message (`No such file or directory`).
    var message: String { String(cString: strerror(errno)) }
}
