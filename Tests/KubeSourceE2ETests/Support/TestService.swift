import KubeTestServer

/// A Service as a test creates it: a LoadBalancer (by default) with one TCP port, cluster IPs of the families asked
/// for, and MetalLB's annotations; ``json(clusterIPs:)`` is the object the test server stores.
struct TestService: Sendable {
    /// The cluster IP families of a service, and its `ipFamilyPolicy`.
    enum Families: Sendable {
        /// One IPv4 cluster IP (the test server picks it), SingleStack.
        case ipv4
        /// One IPv6 cluster IP, SingleStack.
        case ipv6
        /// An IPv4 and an IPv6 cluster IP with this policy (`RequireDualStack`, `PreferDualStack`).
        case dual(policy: String)
    }

    /// `metadata.name`.
    var name: String
    /// `metadata.namespace`.
    var namespace = KubeCluster.serviceNamespace
    /// `spec.type`.
    var type = "LoadBalancer"
    /// `spec.ports` as (protocol, port).
    var ports: [(proto: String, port: Int)] = [("TCP", 80)]
    /// `metadata.labels`.
    var labels: [String: String] = [:]
    /// `metadata.annotations`.
    var annotations: [String: String] = [:]
    /// The cluster IP families and policy.
    var families = Families.ipv4
    /// `spec.loadBalancerIP`.
    var loadBalancerIP: String?
    /// `spec.loadBalancerClass`.
    var loadBalancerClass: String?
    /// `spec.ipFamilyPolicy` instead of the one ``families`` implies (RequireDualStack with one cluster IP, say).
    var ipFamilyPolicy: String?
    /// `status.loadBalancer.ingress` to seed (the store keeps a created object's status).
    var ingress: [String] = []

    /// A LoadBalancer service named `name` with one TCP port 80.
    init(_ name: String) { self.name = name }

    /// Sets an annotation (builder style).
    func annotated(_ key: String, _ value: String) -> TestService {
        var copy = self
        copy.annotations[key] = value
        return copy
    }

    /// Sets a property (builder style).
    func with<T>(_ keyPath: WritableKeyPath<TestService, T>, _ value: T) -> TestService {
        var copy = self
        copy[keyPath: keyPath] = value
        return copy
    }

    /// The Service object; `clusterIPs` (from ``KubeCluster``) are used for IPv6 and dual-stack services, an IPv4
    /// service gets the test server's default cluster IP.
    func json(v4 clusterV4: String, v6 clusterV6: String) -> JSONValue {
        var spec: JSONValue = ["type": .string(type)]
        spec["ports"] = .array(ports.enumerated().map { index, port in
            ["name": .string("p\(index)"), "protocol": .string(port.proto), "port": .int(Int64(port.port))]
        })
        switch families {
        case .ipv4:
            spec["ipFamilies"] = ["IPv4"]
            spec["ipFamilyPolicy"] = "SingleStack"
        case .ipv6:
            spec["clusterIP"] = .string(clusterV6)
            spec["clusterIPs"] = [.string(clusterV6)]
            spec["ipFamilies"] = ["IPv6"]
            spec["ipFamilyPolicy"] = "SingleStack"
        case .dual(let policy):
            spec["clusterIP"] = .string(clusterV4)
            spec["clusterIPs"] = [.string(clusterV4), .string(clusterV6)]
            spec["ipFamilies"] = ["IPv4", "IPv6"]
            spec["ipFamilyPolicy"] = .string(policy)
        }
        if let ipFamilyPolicy { spec["ipFamilyPolicy"] = .string(ipFamilyPolicy) }
        if let loadBalancerIP { spec["loadBalancerIP"] = .string(loadBalancerIP) }
        if let loadBalancerClass { spec["loadBalancerClass"] = .string(loadBalancerClass) }
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues { .string($0) }) }
        var object: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec]
        if !ingress.isEmpty {
            object[path: ["status", "loadBalancer", "ingress"]] = .array(ingress.map { ["ip": .string($0)] })
        }
        return object
    }
}
