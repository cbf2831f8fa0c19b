import Synchronization
import Foundation

/// Direct access to the store, for tests that seed or inspect objects without HTTP. Writes notify watches as
/// HTTP writes do.
extension KubeTestServer {
    /// Creates `object` (as POST would, but keeping its `status`, so a test can seed a Service with addresses
    /// already in its status) and returns it as stored.
    @discardableResult
    public func create(_ type: ResourceType, namespace: String = "", _ object: JSONValue) throws -> JSONValue {
        try write { try $0.create(type, namespace: namespace, object: object, now: Date(), keepStatus: true) }
    }

    /// Applies a JSON merge patch to an object (to its status only when `status`) and returns the result.
    @discardableResult
    public func patch(_ type: ResourceType, namespace: String = "", name: String, _ patch: JSONValue,
                      status: Bool = false) throws -> JSONValue {
        try write { try $0.patch(type, namespace: namespace, name: name, patch: patch, status: status) }
    }

    /// Deletes an object and returns it.
    @discardableResult
    public func delete(_ type: ResourceType, namespace: String = "", name: String) throws -> JSONValue {
        try write { try $0.delete(type, namespace: namespace, name: name) }
    }

    /// The object, or nil when there is none.
    public func object(_ type: ResourceType, namespace: String = "", name: String) -> JSONValue? {
        state.withLock { try? $0.store.get(type, namespace: namespace, name: name) }
    }

    /// Every object of `type` (in `namespace`, or everywhere when nil), in namespace/name order.
    public func objects(_ type: ResourceType, namespace: String? = nil) -> [JSONValue] {
        state.withLock {
            $0.store.matching(type, namespace: namespace, labels: nil, fields: nil).map(\.object)
        }
    }

    /// The resourceVersion of the last write.
    public var resourceVersion: Int { state.withLock { $0.store.resourceVersion } }
}

extension KubeTestServer {
    /// The addresses in `status.loadBalancer.ingress` of Service `namespace/name` (what `kubectl get svc` shows as
    /// EXTERNAL-IP), or nil when there is no such Service.
    public func serviceIngress(namespace: String = "default", name: String) -> [String]? {
        guard let service = object(.services, namespace: namespace, name: name) else { return nil }
        return (service[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
    }

    /// The Events about Service `namespace/name`, of `reason` when given.
    public func serviceEvents(namespace: String = "default", name: String, reason: String? = nil) -> [JSONValue] {
        objects(.events, namespace: namespace).filter { event in
            event[path: ["involvedObject", "kind"]]?.stringValue == "Service"
                && event[path: ["involvedObject", "name"]]?.stringValue == name
                && (reason == nil || event["reason"]?.stringValue == reason)
        }
    }
}
