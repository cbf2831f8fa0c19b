// KubeConfiguration+InCluster: the configuration of a pod, from its environment and service-account files.
import Foundation

extension KubeConfiguration {
    /// The directory where Kubernetes mounts a pod's service-account token, CA bundle and namespace.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a pod: `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`, the service-account
    /// token (as a ``Token/file(_:)``, so a rotated token is picked up), `ca.crt` and `namespace`.
    ///
    /// - Throws: a ``KubeConfigError`` naming the missing variable or the unreadable file.
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 serviceAccountDirectory: String = Self.serviceAccountDirectory)
        throws(KubeConfigError) -> KubeConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeConfigError(.missingKey, file: "environment", key: "KUBERNETES_SERVICE_HOST",
                                  "not set: lbd is not running in a pod; give a kubeconfig file instead")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError(.missingKey, file: "environment", key: "KUBERNETES_SERVICE_PORT",
                                  "not set although KUBERNETES_SERVICE_HOST is")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw KubeConfigError(.invalidValue, file: "environment", key: "KUBERNETES_SERVICE_PORT",
                                  "'\(port)' is not a port number")
        }
        let directory = serviceAccountDirectory.hasSuffix("/") ? String(serviceAccountDirectory.dropLast())
                                                                : serviceAccountDirectory
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError(.unreadable, file: tokenPath, "the service-account token cannot be read "
                                  + "(is automountServiceAccountToken false?)")
        }
        let ca = try readFile(directory + "/ca.crt", key: nil)
        var namespace: String?
        if let data = FileManager.default.contents(atPath: directory + "/namespace"),
           let text = String(data: data, encoding: .utf8) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            namespace = trimmed.isEmpty ? nil : trimmed
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return KubeConfiguration(server: "https://\(hostPart):\(portNumber)", certificateAuthorityPEM: ca,
                                 token: .file(tokenPath), namespace: namespace, origin: "in-cluster")
    }

    /// The bytes of `path`, or a ``KubeConfigError`` naming the file (and the key that named it).
    static func readFile(_ path: String, key: String?, namedIn file: String? = nil) throws(KubeConfigError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if let file {
                throw KubeConfigError(.unreadable, file: file, key: key, "cannot read the file '\(path)'")
            }
            throw KubeConfigError(.unreadable, file: path, key: key, "cannot read the file")
        }
        return [UInt8](data)
    }
}

extension KubeConfiguration {
    /// The configuration lbd uses when given `kubeconfig` (a path) or nothing: that file; else the pod's own
    /// (in-cluster) when `KUBERNETES_SERVICE_HOST` is set; else the first file of `$KUBECONFIG`; else
    /// `~/.kube/config`.
    ///
    /// - Throws: a ``KubeConfigError`` from the source chosen.
    public static func load(kubeconfig: String? = nil, context: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            serviceAccountDirectory: String = Self.serviceAccountDirectory)
        throws(KubeConfigError) -> KubeConfiguration {
        if let kubeconfig, !kubeconfig.isEmpty {
            return try Self.kubeconfig(file: kubeconfig, context: context)
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        }
        if let list = environment["KUBECONFIG"],
           let first = list.split(separator: ":").first(where: { !$0.isEmpty }) {
            return try Self.kubeconfig(file: String(first), context: context)
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw KubeConfigError(.missingKey, file: "environment", key: "KUBECONFIG",
                                  "no kubeconfig given, not in a pod, and neither KUBECONFIG nor HOME is set")
        }
        return try Self.kubeconfig(file: home + "/.kube/config", context: context)
    }
}
