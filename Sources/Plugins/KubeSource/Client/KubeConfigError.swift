// KubeConfigError: why a kubeconfig file or the in-cluster environment could not be turned into a KubeConfiguration.

/// Why lbd cannot build a ``KubeConfiguration``; names the file (or environment variable) and the key.
public struct KubeConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code for the rule broken.
    public var code: Code
    /// The file, or the environment variable, that is wrong or missing.
    public var file: String
    /// The key path inside the file, such as `users[admin].user.client-key`, when the problem has one.
    public var key: String?
    /// What is wrong and, where it helps, how to fix it.
    public var message: String

    /// The rules a Kubernetes client configuration can break.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// A file cannot be read.
        case unreadable
        /// The file is not YAML.
        case syntax
        /// A required key (or environment variable) is missing.
        case missingKey
        /// A value has the wrong shape or cannot be decoded (bad base64, bad URL, …).
        case invalidValue
        /// A context, cluster or user named by the file does not exist.
        case unknownName
        /// A feature lbd deliberately does not implement, such as `exec` credential plugins.
        case unsupported
    }

    /// Creates an error.
    public init(_ code: Code, file: String, key: String? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.key = key
        self.message = message
    }

    /// `file: key: message`.
    public var description: String {
        if let key { return "\(file): \(key): \(message)" }
        return "\(file): \(message)"
    }
}
