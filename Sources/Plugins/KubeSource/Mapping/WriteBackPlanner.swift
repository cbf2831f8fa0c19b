// What to write back to each Service after the kernel decided: `status.loadBalancer.ingress` (status subresource),
// the `metallb.io/ip-allocated-from-pool` annotation, and MetalLB's events, each only when it changes.
import Foundation
public import LBKernel

/// What to write for one service.
public struct ServiceWrite: Hashable, Sendable {
    /// The service.
    public var id: ServiceID
    /// The resource version the plan was made from (the precondition for the patches), when known.
    public var resourceVersion: String?
    /// The new `status.loadBalancer.ingress` addresses (empty clears it), or nil when the status is unchanged.
    public var ingress: [IPAddress]?
    /// The new value of `metallb.io/ip-allocated-from-pool` (nil removes it), when it changes.
    public var poolAnnotation: AnnotationChange?
    /// The events to emit (before aggregation and rate limiting by ``EventRecorder``).
    public var events: [EventDescription]

    /// A change to the pool annotation.
    public enum AnnotationChange: Hashable, Sendable {
        /// Set it to this pool.
        case set(String)
        /// Remove it.
        case remove
    }

    /// Creates a write.
    public init(id: ServiceID, resourceVersion: String? = nil, ingress: [IPAddress]? = nil,
                poolAnnotation: AnnotationChange? = nil, events: [EventDescription] = []) {
        self.id = id
        self.resourceVersion = resourceVersion
        self.ingress = ingress
        self.poolAnnotation = poolAnnotation
        self.events = events
    }

    /// True when there is nothing to do.
    public var isEmpty: Bool { ingress == nil && poolAnnotation == nil && events.isEmpty }

    /// The JSON merge patch for the status subresource (`PATCH …/services/NAME/status`,
    /// `application/merge-patch+json`), or nil when the status is unchanged. With `resourceVersion` the API server
    /// rejects the patch with 409 when the object changed since it was read.
    public func statusPatch(resourceVersion: String? = nil) -> String? {
        guard let ingress else { return nil }
        let list = ingress.isEmpty ? "null"
            : "[" + ingress.map { "{\"ip\":\(Self.json($0.description))}" }.joined(separator: ",") + "]"
        return "{" + Self.metadata(resourceVersion, extra: nil) + "\"status\":{\"loadBalancer\":{\"ingress\":\(list)}}}"
    }

    /// The JSON merge patch for the service itself that sets or removes the pool annotation, or nil.
    public func annotationPatch(resourceVersion: String? = nil) -> String? {
        guard let poolAnnotation else { return nil }
        let value: String
        switch poolAnnotation {
        case .set(let pool): value = Self.json(pool)
        case .remove: value = "null"
        }
        let annotations = "\"annotations\":{\(Self.json(MetalLBAnnotation.ipAllocatedFromPool)):\(value)}"
        return "{" + Self.metadata(resourceVersion, extra: annotations).dropLast() + "}"
    }

    private static func metadata(_ resourceVersion: String?, extra: String?) -> String {
        let parts = [resourceVersion.map { "\"resourceVersion\":\(json($0))" }, extra].compactMap { $0 }
        return parts.isEmpty ? "" : "\"metadata\":{" + parts.joined(separator: ",") + "},"
    }

    /// `text` as a JSON string literal.
    static func json(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}

/// Plans the writes after each allocation report; remembers what it planned, so an unchanged event is never
/// repeated and a status not yet seen back through the watch is not announced twice.
public struct WriteBackPlanner: Sendable {
    /// This node's name (for `nodeAssigned`).
    public var node: String
    /// Whether this lbd holds the allocating role: only it writes status, annotations and the controller's events.
    public var allocating: Bool
    /// The addresses last planned per service.
    private var planned: [ServiceID: [IPAddress]] = [:]
    /// The condition-like events (failures, rejections, deprecations, node assignments) last emitted per service.
    private var standing: [ServiceID: Set<EventDescription>] = [:]

    /// Creates a planner.
    public init(node: String, allocating: Bool) {
        self.node = node
        self.allocating = allocating
    }

    /// The writes for `report`, given the current Service objects and the build's mappings.
    ///
    /// - Parameters:
    ///   - objects: the Service objects as last read, by id (status, annotations, resource version).
    ///   - mappings: ``SnapshotBuild/services``: handled and rejected services.
    ///   - layer2Owners: the Layer 2 election's winner per service when known; without it, a node that is a
    ///     Layer 2 candidate in the plan counts as announcing.
    /// - Returns: one write per service with something to do, sorted by id.
    public mutating func plan(_ report: AllocationReport, objects: [ServiceID: KubeService],
                              mappings: [ServiceID: ServiceMapping],
                              layer2Owners: [ServiceID: String]? = nil) -> [ServiceWrite] {
        var writes: [ServiceWrite] = []
        for id in mappings.keys.sorted() {
            guard let object = objects[id], let mapping = mappings[id] else { continue }
            var write = ServiceWrite(id: id, resourceVersion: object.metadata.resourceVersion)
            var current: Set<EventDescription> = []
            let desired: [IPAddress]?
            var pool: String?
            var announceChange = true
            switch mapping {
            case .ignored(.notLoadBalancer):
                desired = []  // what was written while it was a LoadBalancer is cleared, without events
                announceChange = false
            case .ignored:
                continue
            case .rejected(let rejected):
                desired = []
                if allocating { current.formUnion(rejected.events) }
            case .handled(let mapped):
                if allocating { current.formUnion(mapped.events) }
                if let allocation = report.outcome.allocations[id] {
                    desired = allocation.addresses
                    pool = allocation.pool
                    if allocating, mapped.service.ipFamilyPolicy == .preferDualStack,
                       let missing = mapped.service.wantedFamilies.first(where: { family in
                           !allocation.addresses.contains { $0.family == family } }) {
                        current.insert(EventDescription(
                            .normal, EventDescription.Reason.additionalAssignFailed,
                            "Failed to assign an additional \(missing.rawValue) address for \"\(id)\": pool "
                                + "\(allocation.pool) has none free; the service stays single-stack"))
                    }
                } else if let failure = report.outcome.failures[id] {
                    desired = []
                    if allocating {
                        current.insert(EventDescription(.warning, EventDescription.Reason.allocationFailed,
                                                        "Failed to allocate IP for \"\(id)\": \(failure.message)"))
                    }
                } else {
                    desired = nil  // the kernel has not decided yet
                }
                current.formUnion(nodeAssigned(id, report: report, layer2Owners: layer2Owners))
            }
            if allocating, let desired {
                let status = object.status.ingressIPs.compactMap(IPAddress.init)
                let previous = planned[id] ?? status
                if desired != previous, announceChange {
                    if !previous.isEmpty, !previous.allSatisfy(desired.contains) {
                        write.events.append(EventDescription(
                            .normal, EventDescription.Reason.clearAssignment,
                            "current IP for \"\(id)\" not allowed by config, clearing"))
                    }
                    if !desired.isEmpty {
                        write.events.append(EventDescription(.normal, EventDescription.Reason.ipAllocated,
                                                             "Assigned IP \(Self.goQuoted(desired))"))
                    }
                }
                planned[id] = desired
                if desired != status || object.status.ingressIPs.count != (object.status.loadBalancer?.ingress ?? []).count {
                    write.ingress = desired
                }
                let annotation = object.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool]
                if annotation != pool { write.poolAnnotation = pool.map { .set($0) } ?? .remove }
            }
            let before = standing[id] ?? []
            write.events += current.filter { !before.contains($0) }.sorted { ($0.reason, $0.message) < ($1.reason, $1.message) }
            standing[id] = current
            if !write.isEmpty { writes.append(write) }
        }
        let known = Set(mappings.keys)
        planned = planned.filter { known.contains($0.key) }
        standing = standing.filter { known.contains($0.key) }
        return writes
    }

    /// `nodeAssigned` for each protocol this node announces the service with.
    private func nodeAssigned(_ id: ServiceID, report: AllocationReport,
                              layer2Owners: [ServiceID: String]?) -> [EventDescription] {
        guard let decision = report.plan.decisions[id]?[node] else { return [] }
        var events: [EventDescription] = []
        let layer2 = layer2Owners.map { $0[id] == node } ?? decision.layer2.announces
        if layer2 && decision.layer2.announces { events.append(Self.assigned(node, "layer2")) }
        if decision.bgp.announces { events.append(Self.assigned(node, "bgp")) }
        return events
    }

    private static func assigned(_ node: String, _ proto: String) -> EventDescription {
        EventDescription(.normal, EventDescription.Reason.nodeAssigned,
                         "announcing from node \"\(node)\" with protocol \"\(proto)\"")
    }

    /// Go's `%q` of a list of addresses: `["192.168.1.240" "fc00::1"]`.
    static func goQuoted(_ addresses: [IPAddress]) -> String {
        "[" + addresses.map { "\"\($0)\"" }.joined(separator: " ") + "]"
    }
}
