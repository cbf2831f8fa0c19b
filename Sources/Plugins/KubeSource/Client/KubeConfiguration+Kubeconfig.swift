// KubeConfiguration+Kubeconfig: reading a kubeconfig file (the `kubectl` format) through LBKernel's YAMLNode.
import Foundation
import LBKernel

extension KubeConfiguration {
    /// The configuration of `context` (or the file's `current-context`) in the kubeconfig file at `file`.
    ///
    /// Honours the cluster's `server`, `certificate-authority` / `certificate-authority-data` and
    /// `insecure-skip-tls-verify`, and the user's `token`, `tokenFile`, `client-certificate(-data)` and
    /// `client-key(-data)`. Relative paths are relative to the file's directory. `exec` and `auth-provider`
    /// credential plugins are refused.
    ///
    /// - Throws: a ``KubeConfigError`` naming the file and the key.
    public static func kubeconfig(file: String, context: String? = nil) throws(KubeConfigError) -> KubeConfiguration {
        let bytes = try readFile(file, key: nil)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw KubeConfigError(.syntax, file: file, "the file is not UTF-8 text")
        }
        return try kubeconfig(text: text, file: file, context: context)
    }

    /// The configuration of `context` (or `current-context`) in kubeconfig `text`; `file` names it in errors and
    /// anchors relative paths.
    ///
    /// - Throws: a ``KubeConfigError`` naming the file and the key.
    public static func kubeconfig(text: String, file: String, context: String? = nil)
        throws(KubeConfigError) -> KubeConfiguration {
        let reader = KubeconfigReader(file: file)
        let root: YAMLNode
        do {
            let documents = try YAMLNode.documents(in: text, file: file)
            guard documents.count == 1 else {
                throw KubeConfigError(.syntax, file: file, "expected one YAML document, found \(documents.count)")
            }
            root = documents[0]
        } catch let problem as ConfigProblem {
            throw KubeConfigError(.syntax, file: file, problem.message)
        } catch let error as KubeConfigError {
            throw error
        } catch {
            throw KubeConfigError(.syntax, file: file, "\(error)")
        }
        guard root.entries != nil else {
            throw KubeConfigError(.invalidValue, file: file, "the file is \(root.shapeName), not a kubeconfig mapping")
        }
        let contextName: String
        if let context {
            contextName = context
        } else {
            contextName = try reader.string(root, "current-context", path: "current-context")
        }
        let contextEntry = try reader.named(root, list: "contexts", name: contextName, body: "context")
        let contextPath = "contexts[\(contextName)].context"
        let clusterName = try reader.string(contextEntry, "cluster", path: contextPath + ".cluster")
        let cluster = try reader.named(root, list: "clusters", name: clusterName, body: "cluster")
        let clusterPath = "clusters[\(clusterName)].cluster"
        let namespace = try reader.optionalString(contextEntry, "namespace", path: contextPath + ".namespace")

        let server = try reader.string(cluster, "server", path: clusterPath + ".server")
        guard let url = URL(string: server), let scheme = url.scheme, scheme == "https" || scheme == "http",
              url.host != nil else {
            throw KubeConfigError(.invalidValue, file: file, key: clusterPath + ".server",
                                  "'\(server)' is not an http(s) URL")
        }
        let insecure = try reader.bool(cluster, "insecure-skip-tls-verify",
                                       path: clusterPath + ".insecure-skip-tls-verify") ?? false
        let ca = try reader.bytes(cluster, data: "certificate-authority-data", file: "certificate-authority",
                                  path: clusterPath)
        if insecure && ca != nil {
            throw KubeConfigError(.invalidValue, file: file, key: clusterPath + ".insecure-skip-tls-verify",
                                  "insecure-skip-tls-verify cannot be combined with a certificate authority")
        }

        var token: Token?
        var certificate: ClientCertificate?
        if let userName = try reader.optionalString(contextEntry, "user", path: contextPath + ".user") {
            let user = try reader.named(root, list: "users", name: userName, body: "user")
            let userPath = "users[\(userName)].user"
            for plugin in ["exec", "auth-provider"] where user[plugin] != nil {
                throw KubeConfigError(.unsupported, file: file, key: userPath + "." + plugin,
                                      "credential plugins (\(plugin)) are not supported by lbd; "
                                      + "use a token, tokenFile or client certificate")
            }
            for basic in ["username", "password"] where user[basic] != nil {
                throw KubeConfigError(.unsupported, file: file, key: userPath + "." + basic,
                                      "basic authentication is not supported; use a token or client certificate")
            }
            if let literal = try reader.optionalString(user, "token", path: userPath + ".token") {
                token = .literal(literal)
            } else if let path = try reader.optionalString(user, "tokenFile", path: userPath + ".tokenFile") {
                let resolved = reader.resolve(path)
                guard FileManager.default.isReadableFile(atPath: resolved) else {
                    throw KubeConfigError(.unreadable, file: file, key: userPath + ".tokenFile",
                                          "cannot read the file '\(resolved)'")
                }
                token = .file(resolved)
            }
            let cert = try reader.bytes(user, data: "client-certificate-data", file: "client-certificate",
                                        path: userPath)
            let key = try reader.bytes(user, data: "client-key-data", file: "client-key", path: userPath)
            switch (cert, key) {
            case (let cert?, let key?):
                certificate = ClientCertificate(certificatePEM: cert, keyPEM: key)
            case (.some, nil):
                throw KubeConfigError(.missingKey, file: file, key: userPath + ".client-key",
                                      "a client certificate needs its key (client-key or client-key-data)")
            case (nil, .some):
                throw KubeConfigError(.missingKey, file: file, key: userPath + ".client-certificate",
                                      "a client key needs its certificate (client-certificate or client-certificate-data)")
            case (nil, nil):
                break
            }
        }
        return KubeConfiguration(server: server, certificateAuthorityPEM: ca, insecureSkipTLSVerify: insecure,
                                 token: token, clientCertificate: certificate, namespace: namespace, origin: file)
    }
}

/// Typed reads from a kubeconfig's YAML with errors that name the file and the key.
private struct KubeconfigReader {
    let file: String

    func optionalString(_ node: YAMLNode, _ key: String, path: String) throws(KubeConfigError) -> String? {
        guard let value = node[key] else { return nil }
        if case .null = value.value { return nil }
        guard let text = value.scalar else {
            throw KubeConfigError(.invalidValue, file: file, key: path, "expected text, found \(value.shapeName)")
        }
        return text.isEmpty ? nil : text
    }

    func string(_ node: YAMLNode, _ key: String, path: String) throws(KubeConfigError) -> String {
        guard let text = try optionalString(node, key, path: path) else {
            throw KubeConfigError(.missingKey, file: file, key: path, "missing")
        }
        return text
    }

    func bool(_ node: YAMLNode, _ key: String, path: String) throws(KubeConfigError) -> Bool? {
        guard let text = try optionalString(node, key, path: path) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw KubeConfigError(.invalidValue, file: file, key: path, "expected true or false, found '\(text)'")
        }
    }

    /// The body (`cluster`, `user`, `context`) of the entry called `name` in the list `list`.
    func named(_ root: YAMLNode, list: String, name: String, body: String) throws(KubeConfigError) -> YAMLNode {
        guard let items = root[list]?.items else {
            throw KubeConfigError(.missingKey, file: file, key: list, "missing, so '\(name)' cannot be found")
        }
        for item in items where item["name"]?.scalar == name {
            guard let content = item[body], content.entries != nil else {
                throw KubeConfigError(.missingKey, file: file, key: "\(list)[\(name)].\(body)", "missing")
            }
            return content
        }
        let known = items.compactMap { $0["name"]?.scalar }.map { "'\($0)'" }.joined(separator: ", ")
        throw KubeConfigError(.unknownName, file: file, key: list,
                              "no entry named '\(name)'" + (known.isEmpty ? "" : " (known: \(known))"))
    }

    /// Base64 `data` key, else the file named by `file` key, else nil.
    func bytes(_ node: YAMLNode, data: String, file fileKey: String, path: String) throws(KubeConfigError) -> [UInt8]? {
        if let encoded = try optionalString(node, data, path: path + "." + data) {
            let compact = encoded.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact) else {
                throw KubeConfigError(.invalidValue, file: file, key: path + "." + data, "not valid base64")
            }
            return [UInt8](decoded)
        }
        if let name = try optionalString(node, fileKey, path: path + "." + fileKey) {
            return try KubeConfiguration.readFile(resolve(name), key: path + "." + fileKey, namedIn: file)
        }
        return nil
    }

    /// `path` relative to the kubeconfig's directory unless absolute.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? path : directory + "/" + path
    }
}
