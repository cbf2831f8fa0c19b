// `metallb.io` custom resources and the legacy ConfigMap, as the API serves them (JSON), → the kernel's `Policy`
// through `MetalLBImporter`; BGP `passwordSecret`s are resolved from Secrets here.
public import Foundation
public import LBKernel

/// A Secret (core/v1): its type and base64 data.
public struct KubeSecret: KubeObject, Codable, Hashable {
    /// `Secret`.
    public static let kind = "Secret"
    /// The type MetalLB requires for BGP passwords.
    public static let basicAuthType = "kubernetes.io/basic-auth"
    /// The metadata.
    public var metadata: ObjectMeta
    /// The type (`Opaque` when absent).
    public var type: String?
    /// The values, base64-encoded.
    public var data: [String: String]?

    /// Creates a secret object.
    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }
}

/// MetalLB configuration read from the API: `metallb.io` resources (JSON, one object each), the legacy ConfigMap,
/// and the Secrets BGP peers name.
public struct MetalLBObjects: Sendable {
    /// The namespace lbd runs in: MetalLB reads its objects and password Secrets only there.
    public var namespace: String
    /// The `metallb.io` resources, each as the JSON the API returns for one object (``RawObject/json``).
    public var resources: [Data]
    /// The legacy ConfigMap (`data.config`) as JSON, or nil.
    public var legacyConfigMap: Data?
    /// The Secrets in ``namespace`` (only those named by a peer's `passwordSecret` are read).
    public var secrets: [KubeSecret]

    /// Creates the inputs.
    public init(namespace: String, resources: [Data] = [], legacyConfigMap: Data? = nil, secrets: [KubeSecret] = []) {
        self.namespace = namespace
        self.resources = resources
        self.legacyConfigMap = legacyConfigMap
        self.secrets = secrets
    }

    /// The file name problems carry for an object: `metallb.io/IPAddressPool metallb-system/pool-a`.
    public static func fileName(apiVersion: String?, kind: String?, namespace: String?, name: String?) -> String {
        let group = apiVersion.map { $0.split(separator: "/").count > 1 ? String($0.split(separator: "/")[0]) : "" } ?? ""
        let type = group.isEmpty ? kind ?? "object" : "\(group)/\(kind ?? "object")"
        let object = [namespace, name].compactMap { $0 }.joined(separator: "/")
        return object.isEmpty ? type : "\(type) \(object)"
    }

    /// The validated policy, with every `passwordSecret` replaced by the password it holds.
    ///
    /// - Throws: ``ConfigError`` with every problem; each problem's location file names the object
    ///   (see ``fileName(apiVersion:kind:namespace:name:)``). A missing or wrong Secret is a problem, as in MetalLB
    ///   (which retries until it appears).
    public func policy() throws(ConfigError) -> Policy {
        var documents: [YAMLNode] = []
        var problems: [ConfigProblem] = []
        var peerFiles: [String: String] = [:]
        for data in resources + (legacyConfigMap.map { [$0] } ?? []) {
            let header = try? JSONDecoder().decode(KubeObjectDecoder.Header.self, from: data)
            if let objectNamespace = header?.metadata?.namespace, objectNamespace != namespace,
               header?.apiVersion?.hasPrefix("metallb.io/") == true {
                continue  // MetalLB reads its objects only in its own namespace.
            }
            let file = Self.fileName(apiVersion: header?.apiVersion, kind: header?.kind,
                                     namespace: header?.metadata?.namespace, name: header?.metadata?.name)
            if header?.kind == "BGPPeer", let name = header?.metadata?.name { peerFiles[name] = file }
            do {
                documents += try YAMLNode.documents(in: String(decoding: data, as: UTF8.self), file: file)
            } catch {
                problems.append(error)
            }
        }
        var policy = Policy()
        do {
            policy = try MetalLBImporter.policy(from: documents)
        } catch {
            problems += error.problems
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        for index in policy.bgpPeers.indices {
            guard let reference = policy.bgpPeers[index].passwordSecret else { continue }
            let peer = policy.bgpPeers[index].name
            let location = SourceLocation(file: peerFiles[peer] ?? "metallb.io/BGPPeer \(namespace)/\(peer)")
            do {
                policy.bgpPeers[index].password = try password(reference)
                policy.bgpPeers[index].passwordSecret = nil
            } catch {
                problems.append(ConfigProblem(error.code, error.message, object: "BGPPeer \"\(peer)\"",
                                              field: "spec.passwordSecret", location: location))
            }
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return policy
    }

    /// The password in the Secret `reference` names.
    private func password(_ reference: SecretReference) throws(ConfigProblem) -> String {
        let secretNamespace = reference.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? namespace
        guard secretNamespace == namespace else {
            throw ConfigProblem(.invalidValue, "secret \(secretNamespace)/\(reference.name) is outside lbd's namespace "
                                + "\(namespace); password Secrets must be in the same namespace as the BGPPeer")
        }
        guard let secret = secrets.first(where: { $0.metadata.name == reference.name }) else {
            throw ConfigProblem(.unknownReference, "secret \(namespace)/\(reference.name) does not exist (yet); "
                                + "create it with type \(KubeSecret.basicAuthType) and key `password`")
        }
        guard secret.type == KubeSecret.basicAuthType else {
            throw ConfigProblem(.invalidValue, "secret \(namespace)/\(reference.name) has type "
                                + "\(secret.type ?? "Opaque"); a BGP password Secret must have type "
                                + "\(KubeSecret.basicAuthType)")
        }
        guard let encoded = secret.data?["password"] else {
            throw ConfigProblem(.missingKey, "secret \(namespace)/\(reference.name) has no key `password`")
        }
        guard let bytes = Data(base64Encoded: encoded), let text = String(data: bytes, encoding: .utf8) else {
            throw ConfigProblem(.invalidValue, "secret \(namespace)/\(reference.name): data.password is not "
                                + "base64-encoded UTF-8 text")
        }
        return text
    }
}

extension KubeObjectProblem {
    /// The problem for a configuration problem of a MetalLB object whose location file names it
    /// (`metallb.io/IPAddressPool metallb-system/pool-a`).
    public init(_ problem: ConfigProblem) {
        let file = problem.location?.file ?? ""
        let parts = file.split(separator: " ", maxSplits: 1).map(String.init)
        let kind = parts.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "object"
        var namespace: String?
        var name: String?
        if parts.count == 2 {
            let object = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
            if object.count == 2 { (namespace, name) = (object[0], object[1]) } else { name = object.first }
        }
        var message = problem.message
        if let line = problem.location?.line, line > 1 { message += " (line \(line))" }
        self.init(kind: kind.isEmpty ? "object" : kind, namespace: namespace, name: name, field: problem.field,
                  message: message)
    }
}
