// KubeConfiguration: where the API server is and how lbd authenticates to it. Loading lives in
// KubeConfiguration+InCluster.swift and KubeConfiguration+Kubeconfig.swift.

/// How to reach and authenticate to one Kubernetes API server.
///
/// Built by ``inCluster(environment:serviceAccountDirectory:)`` inside a pod or by
/// ``kubeconfig(file:context:)`` from a kubeconfig file; tests may build one directly.
public struct KubeConfiguration: Hashable, Sendable {
    /// The server's base URL, such as `https://10.96.0.1:443`, without a trailing slash.
    public var server: String
    /// The PEM bundle of certificate authorities to trust; nil trusts the system's roots.
    public var certificateAuthorityPEM: [UInt8]?
    /// Skip verification of the server's certificate; only true when a kubeconfig says so.
    public var insecureSkipTLSVerify: Bool
    /// The bearer token, when the user has one.
    public var token: Token?
    /// The client certificate and key, when the user has them.
    public var clientCertificate: ClientCertificate?
    /// The default namespace (the service account's, or the context's), when known.
    public var namespace: String?
    /// Where this configuration came from, for messages: a file path or `in-cluster`.
    public var origin: String

    /// A bearer token, given directly or read from a file that may rotate.
    public enum Token: Hashable, Sendable {
        /// The token itself.
        case literal(String)
        /// A file holding the token; re-read when the cached copy is older than a minute.
        case file(String)
    }

    /// A client certificate chain and its private key, both PEM.
    public struct ClientCertificate: Hashable, Sendable {
        /// The certificate chain, PEM.
        public var certificatePEM: [UInt8]
        /// The private key, PEM.
        public var keyPEM: [UInt8]

        /// Creates a client certificate.
        public init(certificatePEM: [UInt8], keyPEM: [UInt8]) {
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    /// Creates a configuration.
    public init(server: String, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
                token: Token? = nil, clientCertificate: ClientCertificate? = nil, namespace: String? = nil,
                origin: String = "configuration") {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.token = token
        self.clientCertificate = clientCertificate
        self.namespace = namespace
        self.origin = origin
    }
}
