// The write-back shell: performs the `ServiceWrite`s the planner made (status subresource, pool annotation) with
// optimistic concurrency, and the events through `EventRecorder`.
import Foundation
import LBKernel
import Logging
import Synchronization

/// Writes Service status, the pool annotation and events to the API server.
///
/// Every patch carries the `resourceVersion` the decision was made from, so the API server refuses it (409) when
/// the Service changed meanwhile: the writer then re-reads the Service and writes again only if it is still the
/// same object (same uid) and still differs, never overwriting blindly. Writes already made for a version are not
/// repeated while the watch has not delivered the result yet. Events are best effort: aggregated and rate limited
/// by the ``EventRecorder``, and a failed one is logged, never retried.
final class ServiceWriter: Sendable {
    /// The outcome of one batch.
    struct Outcome: Sendable {
        /// Writes that failed and should be retried (transport errors, 5xx, 409 after every retry).
        var failed: [ServiceID: String] = [:]
        /// Status writes made.
        var statusWrites = 0
    }

    private struct Written: Sendable {
        /// The version the write was made against.
        var fromVersion: String?
        var ingress: [IPAddress]?
        var annotation: ServiceWrite.AnnotationChange?
    }

    private let client: KubeClient
    private let concurrency: Int
    private let logger: Logger
    private let recorder: Mutex<EventRecorder>
    private let written = Mutex<[ServiceID: Written]>([:])

    /// How often a write is retried after 409 Conflict.
    static let conflictRetries = 5

    init(client: KubeClient, concurrency: Int, events: EventRecorder.Configuration, logger: Logger) {
        self.client = client
        self.concurrency = concurrency
        self.logger = logger
        recorder = Mutex(EventRecorder(configuration: events))
    }

    /// The path of a Service.
    static func path(_ id: ServiceID) -> String { "/api/v1/namespaces/\(id.namespace)/services/\(id.name)" }

    /// Performs `writes` (at most ``concurrency`` at once); `allowed` is asked before each status or annotation
    /// patch (the allocating role may be lost meanwhile).
    func perform(_ writes: [ServiceWrite], objects: [ServiceID: KubeService],
                 allowed: @escaping @Sendable () -> Bool) async -> Outcome {
        let writes = writes.map(dropRepeated)
        var outcome = Outcome()
        await withTaskGroup(of: (ServiceID, String?, Bool).self) { group in
            var next = 0
            func start() {
                guard next < writes.count else { return }
                let write = writes[next]
                next += 1
                let object = objects[write.id]
                group.addTask { [self] in
                    // Status first: it is what users and the other lbd nodes wait for; events follow.
                    var result: (ServiceID, String?, Bool) = (write.id, nil, false)
                    if write.ingress != nil || write.poolAnnotation != nil, let object {
                        do {
                            result.2 = try await patch(write, object: object, allowed: allowed)
                        } catch {
                            result.1 = "\(error)"
                        }
                    }
                    await emit(write.events, object: object)
                    return result
                }
            }
            for _ in 0..<concurrency { start() }
            for await (id, failure, wroteStatus) in group {
                if let failure { outcome.failed[id] = failure }
                if wroteStatus { outcome.statusWrites += 1 }
                start()
            }
        }
        let known = Set(objects.keys)
        written.withLock { $0 = $0.filter { known.contains($0.key) } }
        return outcome
    }

    /// `write` without the parts already written against the same version of the object.
    private func dropRepeated(_ write: ServiceWrite) -> ServiceWrite {
        guard let done = written.withLock({ $0[write.id] }), done.fromVersion == write.resourceVersion else {
            return write
        }
        var write = write
        if write.ingress != nil, write.ingress == done.ingress { write.ingress = nil }
        if write.poolAnnotation != nil, write.poolAnnotation == done.annotation { write.poolAnnotation = nil }
        return write
    }

    /// Patches the status, then the annotation; on 409 re-reads and retries. Returns whether the status was written.
    private func patch(_ write: ServiceWrite, object: KubeService,
                       allowed: @Sendable () -> Bool) async throws -> Bool {
        let path = Self.path(write.id)
        var current = object
        var pending = write
        var wroteStatus = false
        for attempt in 0...Self.conflictRetries {
            guard allowed() else { return wroteStatus }
            do {
                let version = current.metadata.resourceVersion
                if let body = pending.statusPatch(resourceVersion: version) {
                    let updated = try KubeClient.decode(KubeService.self,
                                                        from: try await client.statusPatch(path, body: Array(body.utf8)))
                    remember(write.id, from: version, ingress: pending.ingress)
                    pending.ingress = nil
                    wroteStatus = true
                    current = updated
                }
                let annotationVersion = current.metadata.resourceVersion
                if let body = pending.annotationPatch(resourceVersion: annotationVersion) {
                    guard allowed() else { return wroteStatus }
                    _ = try await client.mergePatch(path, body: Array(body.utf8))
                    remember(write.id, from: version, annotation: pending.poolAnnotation)
                    pending.poolAnnotation = nil
                }
                return wroteStatus
            } catch let error as KubeError where error.isConflict && attempt < Self.conflictRetries {
                logger.debug("\(write.id): \(error.message); re-reading the Service (retry \(attempt + 1))")
                guard let fresh = try await reread(path, uid: object.metadata.uid) else { return wroteStatus }
                current = fresh
                if let ingress = pending.ingress, fresh.status.ingressIPs.compactMap(IPAddress.init) == ingress,
                   fresh.status.ingressIPs.count == (fresh.status.loadBalancer?.ingress ?? []).count {
                    pending.ingress = nil
                }
                let annotation = fresh.metadata.annotations[MetalLBAnnotation.ipAllocatedFromPool]
                if pending.poolAnnotation == annotation.map({ .set($0) }) ?? .remove { pending.poolAnnotation = nil }
                if pending.ingress == nil && pending.poolAnnotation == nil { return wroteStatus }
            }
        }
        return wroteStatus
    }

    /// The Service as it is now, or nil when it is gone or was replaced by another object of the same name.
    private func reread(_ path: String, uid: String?) async throws -> KubeService? {
        do {
            let fresh = try KubeClient.decode(KubeService.self, from: try await client.get(path))
            if let uid, fresh.metadata.uid != uid { return nil }
            return fresh
        } catch let error as KubeError where error.isNotFound {
            return nil
        }
    }

    private func remember(_ id: ServiceID, from version: String?, ingress: [IPAddress]? = nil,
                          annotation: ServiceWrite.AnnotationChange? = nil) {
        written.withLock { written in
            var entry = written[id].flatMap { $0.fromVersion == version ? $0 : nil } ?? Written(fromVersion: version)
            if let ingress { entry.ingress = ingress }
            if let annotation { entry.annotation = annotation }
            written[id] = entry
        }
    }

    /// Records and sends `events` about `object` (aggregated, rate limited); failures are logged.
    private func emit(_ events: [EventDescription], object: KubeService?) async {
        guard let object, !events.isEmpty else { return }
        let reference = EventObjectReference(object)
        for event in events {
            let action = recorder.withLock { $0.record(event, about: reference, now: Date()) }
            do {
                switch action {
                case .create(let body):
                    _ = try await client.create("/api/v1/namespaces/\(reference.namespace)/events",
                                                body: try KubeClient.encode(body))
                case .patch(let namespace, let name, let body):
                    _ = try await client.mergePatch("/api/v1/namespaces/\(namespace)/events/\(name)",
                                                    body: Array(body.utf8))
                case .drop:
                    logger.debug("\(object.id): event \(event.reason) dropped by the rate limit")
                }
            } catch {
                logger.warning("\(object.id): could not record event \(event.reason): \(error)")
            }
        }
    }
}
