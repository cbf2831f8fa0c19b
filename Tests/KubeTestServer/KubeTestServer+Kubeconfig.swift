import Foundation

extension KubeTestServer {
    /// A kubeconfig (YAML) for this server: its URL, its CA as `certificate-authority-data`, `token`, and
    /// `namespace` as the context's namespace. Call after `start` (it names the port).
    public func kubeconfig(token: String, namespace: String = "default") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubetestserver
          cluster:
            server: \(url)
        \(usesTLS ? "    certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())\n" : "")\
        users:
        - name: kubetestserver
          user:
            token: \(token)
        contexts:
        - name: kubetestserver
          context:
            cluster: kubetestserver
            user: kubetestserver
            namespace: \(namespace)
        current-context: kubetestserver

        """
    }
}
