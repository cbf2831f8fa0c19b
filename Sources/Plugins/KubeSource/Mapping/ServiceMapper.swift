// Service → kernel `Service`, following MetalLB's controller (metallb.md §b).
import Foundation
public import LBKernel

/// Which `spec.loadBalancerClass` lbd handles, as MetalLB's `--lb-class`.
public enum LoadBalancerClassFilter: Hashable, Sendable {
    /// Only services without a class (MetalLB without `--lb-class`).
    case unset
    /// Only services whose class is exactly this one.
    case named(String)

    /// True when a service with class `serviceClass` is handled.
    public func admits(_ serviceClass: String?) -> Bool {
        switch self {
        case .unset: serviceClass == nil
        case .named(let name): serviceClass == name
        }
    }
}

/// What becomes of one Kubernetes Service.
public enum ServiceMapping: Hashable, Sendable {
    /// Not lbd's: left alone entirely (no status, no events).
    case ignored(IgnoredReason)
    /// Handled: the kernel's service, the addresses already in its status, and events to emit.
    case handled(MappedService)
    /// lbd's, but its request is invalid: it gets no address (status cleared) and these events.
    case rejected(RejectedService)

    /// Why a service is not lbd's.
    public enum IgnoredReason: String, Hashable, Sendable {
        /// `spec.type` is not `LoadBalancer`.
        case notLoadBalancer
        /// Its `loadBalancerClass` is not the one lbd handles.
        case otherClass
        /// It has no cluster IP (yet), so its family is unknown (MetalLB takes no action).
        case noClusterIP
    }
}

/// A handled service.
public struct MappedService: Hashable, Sendable {
    /// The kernel's view.
    public var service: Service
    /// The addresses already in `status.loadBalancer.ingress`, replayed first after a restart.
    public var recorded: [IPAddress]
    /// Events the mapping itself produces (`deprecatedAnnotation`).
    public var events: [EventDescription]

    /// Creates a mapped service.
    public init(service: Service, recorded: [IPAddress] = [], events: [EventDescription] = []) {
        self.service = service
        self.recorded = recorded
        self.events = events
    }
}

/// A service whose request is invalid.
public struct RejectedService: Hashable, Sendable {
    /// Its id.
    public var id: ServiceID
    /// The events to emit (`LoadBalancerFailed`, `deprecatedAnnotation`, …).
    public var events: [EventDescription]

    /// Creates a rejected service.
    public init(id: ServiceID, events: [EventDescription]) {
        self.id = id
        self.events = events
    }
}

/// MetalLB's service annotations.
public enum MetalLBAnnotation {
    /// The stable prefix.
    public static let stablePrefix = "metallb.io/"
    /// The deprecated prefix, still honoured (with a Warning event).
    public static let deprecatedPrefix = "metallb.universe.tf/"
    /// The pool to allocate from.
    public static let addressPool = "address-pool"
    /// Explicit addresses, comma-separated.
    public static let loadBalancerIPs = "loadBalancerIPs"
    /// The sharing key.
    public static let allowSharedIP = "allow-shared-ip"
    /// Written by lbd: the pool the address came from.
    public static let ipAllocatedFromPool = "metallb.io/ip-allocated-from-pool"
}

/// Maps Kubernetes Services to the kernel's services.
public struct ServiceMapper: Hashable, Sendable {
    /// The class filter (`--lb-class`).
    public var classFilter: LoadBalancerClassFilter

    /// Creates a mapper.
    public init(classFilter: LoadBalancerClassFilter = .unset) { self.classFilter = classFilter }

    /// Maps `object`, with `endpoints` from its EndpointSlices.
    ///
    /// - Throws: ``KubeObjectProblem`` for a service the API server should not have accepted (a port out of
    ///   range, an unknown protocol, an unparseable cluster IP); the service is then skipped.
    public func map(_ object: KubeService, endpoints: Endpoints) throws(KubeObjectProblem) -> ServiceMapping {
        let spec = object.spec
        guard spec.type == "LoadBalancer" else { return .ignored(.notLoadBalancer) }
        guard classFilter.admits(spec.loadBalancerClass) else { return .ignored(.otherClass) }
        let clusterIPs = (spec.clusterIPs?.isEmpty == false ? spec.clusterIPs! : spec.clusterIP.map { [$0] } ?? [])
            .filter { !$0.isEmpty && $0 != "None" }
        guard !clusterIPs.isEmpty else { return .ignored(.noClusterIP) }
        let id = object.id

        func problem(_ field: String, _ message: String) -> KubeObjectProblem {
            KubeObjectProblem(kind: KubeService.kind, namespace: object.metadata.namespace, name: object.metadata.name,
                              field: field, message: message)
        }

        // Annotations: the stable prefix wins; a deprecated one in use earns a Warning.
        var events: [EventDescription] = []
        func annotation(_ key: String) -> String? {
            let annotations = object.metadata.annotations
            if let value = annotations[MetalLBAnnotation.stablePrefix + key] { return value }
            guard let value = annotations[MetalLBAnnotation.deprecatedPrefix + key] else { return nil }
            events.append(EventDescription(
                .warning, EventDescription.Reason.deprecatedAnnotation,
                "annotation \(MetalLBAnnotation.deprecatedPrefix + key) is deprecated, use "
                    + "\(MetalLBAnnotation.stablePrefix + key) instead"))
            return value
        }
        let pool = annotation(MetalLBAnnotation.addressPool).flatMap { $0.isEmpty ? nil : $0 }
        let sharingKey = annotation(MetalLBAnnotation.allowSharedIP).flatMap { $0.isEmpty ? nil : $0 }
        let ipsAnnotation = annotation(MetalLBAnnotation.loadBalancerIPs).flatMap { $0.isEmpty ? nil : $0 }

        // Families from the cluster IPs, as MetalLB's ipfamily.ForService.
        var families: [IPFamily] = []
        for (index, text) in clusterIPs.enumerated() {
            guard let address = IPAddress(text) else {
                throw problem(spec.clusterIPs?.isEmpty == false ? "spec.clusterIPs[\(index)]" : "spec.clusterIP",
                              "'\(text)' is not an IP address")
            }
            if !families.contains(address.family) { families.append(address.family) }
        }
        let policy: IPFamilyPolicy
        switch spec.ipFamilyPolicy {
        case nil, "SingleStack"?: policy = .singleStack
        case "PreferDualStack"?: policy = families.count > 1 ? .preferDualStack : .singleStack
        case "RequireDualStack"?:
            guard families.count > 1 else {
                return .rejected(RejectedService(id: id, events: events + [EventDescription(
                    .warning, EventDescription.Reason.notEnoughClusterIPs,
                    "RequireDualStack needs a cluster IP of each family, the service has \(clusterIPs.joined(separator: ", "))")]))
            }
            policy = .requireDualStack
        case let other?:
            throw problem("spec.ipFamilyPolicy", "'\(other)' is not SingleStack, PreferDualStack or RequireDualStack")
        }

        // Requested addresses: spec.loadBalancerIP or the annotation, never both.
        var requested: [IPAddress] = []
        let specIP = spec.loadBalancerIP.flatMap { $0.isEmpty ? nil : $0 }
        switch (specIP, ipsAnnotation) {
        case (_?, _?):
            return .rejected(RejectedService(id: id, events: events + [EventDescription(
                .warning, EventDescription.Reason.loadBalancerFailed,
                "service can not have both spec.loadBalancerIP and the \(MetalLBAnnotation.loadBalancerIPs) "
                    + "annotation; keep one of them")]))
        case (let text?, nil):
            guard let address = IPAddress(text) else {
                return .rejected(RejectedService(id: id, events: events + [EventDescription(
                    .warning, EventDescription.Reason.loadBalancerFailed,
                    "invalid spec.loadBalancerIP '\(text)': not an IP address")]))
            }
            requested = [address]
        case (nil, let list?):
            for part in list.split(separator: ",", omittingEmptySubsequences: false) {
                let text = part.trimmingCharacters(in: .whitespaces)
                guard let address = IPAddress(text) else {
                    return .rejected(RejectedService(id: id, events: events + [EventDescription(
                        .warning, EventDescription.Reason.loadBalancerFailed,
                        "invalid \(MetalLBAnnotation.loadBalancerIPs) '\(list)': '\(text)' is not an IP address")]))
                }
                requested.append(address)
            }
        case (nil, nil):
            break
        }

        if let stray = requested.first(where: { !families.contains($0.family) }) {
            return .rejected(RejectedService(id: id, events: events + [EventDescription(
                .warning, EventDescription.Reason.noLBIPsIPFamily,
                "requested address \(stray) does not match the service's IP families "
                    + "(\(families.map(\.rawValue).joined(separator: ", ")), from its cluster IPs)")]))
        }

        var ports: [ServicePort] = []
        for (index, port) in (spec.ports ?? []).enumerated() {
            let name = port.protocol ?? "TCP"
            guard let proto = TransportProtocol(rawValue: name) else {
                throw problem("spec.ports[\(index)].protocol", "'\(name)' is not TCP, UDP or SCTP")
            }
            guard (1...65535).contains(port.port) else {
                throw problem("spec.ports[\(index)].port", "\(port.port) is not a port number (1-65535)")
            }
            ports.append(ServicePort(proto, UInt16(port.port)))
        }

        let local = spec.externalTrafficPolicy == "Local"
        let service = Service(
            id: id, labels: object.metadata.labels, requestedAddresses: requested, requestedPool: pool,
            sharingKey: sharingKey, ports: ports, ipFamilyPolicy: policy, ipFamilies: families,
            trafficPolicy: local ? .local : .cluster,
            backendKey: local ? Self.selectorString(spec.selector ?? [:]) : "", endpoints: endpoints)
        let recorded = object.status.ingressIPs.compactMap(IPAddress.init)
        return .handled(MappedService(service: service, recorded: recorded, events: events))
    }

    /// A selector as Kubernetes prints it (`labels.Set.String()`): `k=v` pairs sorted by key, comma-separated.
    public static func selectorString(_ selector: [String: String]) -> String {
        selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
