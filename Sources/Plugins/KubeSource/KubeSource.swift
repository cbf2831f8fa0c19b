import Foundation
public import LBKernel
import Logging
import ServiceLifecycle
import Synchronization

/// The Kubernetes address source (`plugin: kubernetes`): Services of type LoadBalancer get addresses from the
/// `metallb.io` pools, written into `status.loadBalancer.ingress`, as MetalLB does.
///
/// `run()` connects (a kubeconfig file, or in-cluster), lists and watches Services, EndpointSlices, Nodes,
/// Namespaces, the `metallb.io` resources and Secrets of its namespace (and the legacy ConfigMap when configured),
/// and publishes a complete ``SourceSnapshot`` after every change once every collection has been listed and the
/// configuration has been valid once. An invalid configuration is logged object by object and the last valid
/// policy stays in force; objects that cannot be decoded are logged and skipped.
///
/// Exactly one lbd allocates: with leader election on (the default), the lbd holding the Lease publishes
/// snapshots that allocate, and writes status, the `metallb.io/ip-allocated-from-pool` annotation and MetalLB's
/// events; every other lbd publishes `allocates: false` snapshots, so it announces exactly the addresses in
/// Service status and writes nothing but its own `nodeAssigned` events. Addresses already in Service status are
/// replayed first (``SourceSnapshot/recorded``), so neither a restart nor a change of leader moves an address.
public final class KubeSource: AddressSource, Plugin {
    /// `plugin: kubernetes`.
    public static let kind = "kubernetes"

    /// The snapshots, newest last; only the newest unread one is kept.
    public let snapshots: AsyncStream<SourceSnapshot>
    /// The plugin's settings.
    public let configuration: Configuration
    /// The kubeconfig file, resolved against the plugin file's directory, or nil for in-cluster.
    public let kubeconfigPath: String?

    private let node: String
    private let logger: Logger
    private let continuation: AsyncStream<SourceSnapshot>.Continuation
    private let builder: SnapshotBuilder
    private let state: Mutex<State>
    private let connection = Mutex<Connection?>(nil)

    /// What the running source shares between its tasks and ``record(_:)``.
    struct State: Sendable {
        var objects: KubeWatchedObjects?
        var leading = false
        var lastGoodPolicy: Policy?
        var lastProblems: Set<String> = []
        /// The Service objects and mappings of the last published snapshot, for writing back.
        var services: [ServiceID: KubeService] = [:]
        var mappings: [ServiceID: ServiceMapping] = [:]
        var planner: WriteBackPlanner
        var mappingCache = MappingCache()
        var published = 0

        init(node: String) { planner = WriteBackPlanner(node: node, allocating: false) }
    }

    /// The client and its helpers, made by `run()`.
    struct Connection: Sendable {
        var client: KubeClient
        var writer: ServiceWriter
        var elector: LeaseElector?
    }

    /// Creates the source from its plugin file; a kubeconfig file it names is read now (so `lbd check` reports
    /// its problems), nothing is connected until `run()`.
    ///
    /// - Throws: ``KubeConfigError`` naming the kubeconfig file and key when it cannot be used.
    public init(configuration: Configuration, context: PluginContext) throws {
        self.configuration = configuration
        kubeconfigPath = configuration.kubeconfig.map(context.resolve)
        if let kubeconfigPath {
            _ = try KubeConfiguration.kubeconfig(file: kubeconfigPath, context: configuration.context)
        }
        node = context.node.name
        logger = context.logger
        builder = SnapshotBuilder(classFilter: configuration.loadBalancerClass.map { .named($0) } ?? .unset,
                                  ignoreExcludeLabel: configuration.ignoreExcludeLabel)
        state = Mutex(State(node: context.node.name))
        (snapshots, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether this lbd allocates now: it holds the Lease (and its renew deadline has not passed), or leader
    /// election is off. Checked before every write.
    public var isAllocating: Bool {
        guard configuration.leaderElection.enabled else { return true }
        guard let elector = connection.withLock({ $0?.elector }) else { return false }
        return elector.isLeading && state.withLock { $0.leading }
    }

    /// How many snapshots were published since the source was created.
    public var publishedCount: Int { state.withLock { $0.published } }

    /// Connects, watches and publishes until graceful shutdown, then releases the Lease and finishes ``snapshots``.
    ///
    /// - Throws: ``KubeConfigError`` when the kubeconfig or the in-cluster configuration cannot be read, or the
    ///   client's TLS material is invalid.
    public func run() async throws {
        defer { continuation.finish() }
        let kube = try KubeConfiguration.load(kubeconfig: kubeconfigPath, context: configuration.context)
        let namespace = configuration.namespace ?? kube.namespace ?? "lbd-system"
        let paths = KubeWatchedPaths(namespace: namespace, legacyConfigMap: configuration.legacyConfigMap)
        let client = try KubeClient(configuration: kube, requestTimeout: configuration.requestTimeout.duration)
        let election = configuration.leaderElection
        let elector = election.enabled ? LeaseElector(client: client, configuration: LeaseElector.Configuration(
            namespace: namespace, name: election.leaseName, identity: Self.identity(node: node),
            leaseDuration: election.leaseDuration.duration, renewDeadline: election.renewDeadline.duration,
            retryPeriod: election.retryPeriod.duration), logger: logger) : nil
        let writer = ServiceWriter(client: client, concurrency: configuration.writeConcurrency,
                                   events: EventRecorder.Configuration(component: "lbd", host: node), logger: logger)
        connection.withLock { $0 = Connection(client: client, writer: writer, elector: elector) }
        state.withLock {
            $0.objects = KubeWatchedObjects(paths: paths)
            $0.leading = !election.enabled
        }
        let role = election.enabled ? "allocating only while holding Lease \(namespace)/\(election.leaseName)"
            : "leader election off: this lbd allocates"
        logger.info("watching \(kube.server) (\(kube.origin)); configuration from namespace \(namespace); \(role)")

        let (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (rebuilds, rebuilt) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown { [self] in
            await withDiscardingTaskGroup { group in
                watchAll(paths, client, group: &group, changed)
                if let elector {
                    group.addTask { await elector.run() }
                    group.addTask { [self] in
                        for await leading in elector.roles {
                            state.withLock { $0.leading = leading }
                            changed.yield()
                        }
                    }
                }
                group.addTask { [self] in
                    for await _ in changes {
                        publish(paths: paths)
                        rebuilt.yield()
                    }
                    rebuilt.finish()
                }
                group.addTask { await HeapTrimmer.run(rebuilds: rebuilds) }
                group.addTask { [self] in await reportUnlisted(paths: paths) }
                // On cancellation the informers and the elector finish their streams; this ends the publishing loop.
                group.addTask {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    changed.finish()
                }
            }
        }
        changed.finish()
        connection.withLock { $0 = nil }
        try? await client.shutdown()
        logger.info("kubernetes source stopped")
    }

    /// Starts the informers of every watched collection.
    private func watchAll(_ paths: KubeWatchedPaths, _ client: KubeClient, group: inout DiscardingTaskGroup,
                          _ changed: AsyncStream<Void>.Continuation) {
        watch(KubeService.self, KubeWatchedPaths.services, client, group: &group, changed) { $0.services = $1 }
        watch(KubeEndpointSlice.self, KubeWatchedPaths.endpointSlices, client, group: &group, changed) {
            $0.endpointSlices = $1
        }
        watch(KubeNode.self, KubeWatchedPaths.nodes, client, group: &group, changed) { $0.nodes = $1 }
        watch(KubeNamespace.self, KubeWatchedPaths.namespaces, client, group: &group, changed) { $0.namespaces = $1 }
        watch(KubeSecret.self, paths.secrets, client, group: &group, changed) { $0.secrets = $1 }
        for path in paths.metallb {
            watch(RawObject.self, path, client, group: &group, changed) { $0.metallb[path] = $1 }
        }
        if let legacy = paths.legacy {
            watch(RawObject.self, legacy, client, group: &group, changed) { $0.legacy = $1 }
        }
    }

    /// Starts an informer for `path` and a task that stores its snapshots with `store` and signals `changed`.
    private func watch<Object: KubeObject>(_ type: Object.Type, _ path: String, _ client: KubeClient,
                                           group: inout DiscardingTaskGroup,
                                           _ changed: AsyncStream<Void>.Continuation,
                                           store: @escaping @Sendable (inout KubeWatchedObjects, [String: Object]) -> Void) {
        let informer = Informer<Object>(client: client, path: path, logger: logger)
        group.addTask { try? await informer.run() }
        group.addTask { [self] in
            for await objects in informer.snapshots {
                state.withLock { if $0.objects != nil { store(&$0.objects!, objects) } }
                changed.yield()
            }
        }
    }

    /// Until every collection is listed, says every `unlistedReportInterval` which ones are missing and the usual
    /// causes; nothing is allocated or announced meanwhile.
    private func reportUnlisted(paths: KubeWatchedPaths) async {
        while (try? await Task.sleep(for: Self.unlistedReportInterval)) != nil {
            let missing = state.withLock { $0.objects?.unlisted(paths: paths) ?? [] }
            if missing.isEmpty { return }
            logger.error("""
                still waiting to list \(missing.joined(separator: ", ")); nothing is allocated or announced until \
                every collection is listed. Check that the metallb.io CRDs are installed and that lbd's RBAC allows \
                list and watch (the list failures are logged above)
                """)
        }
    }

    /// How often the collections not listed yet are reported.
    static let unlistedReportInterval = Duration.seconds(30)

    /// Builds and publishes a snapshot when every collection has been listed and a policy has been valid once.
    private func publish(paths: KubeWatchedPaths) {
        guard let (objects, previous, leading) = state.withLock({ state in
            state.objects.map { ($0, state.lastGoodPolicy, state.leading) }
        }), objects.synced(paths: paths) else { return }
        var cache = state.withLock { $0.mappingCache }
        let build = builder.build(objects.inputs(paths: paths), previousPolicy: previous, cache: &cache)
        // A Service whose request is invalid gets Warning events (written by the allocating lbd); the log says it too.
        let rejections = build.services.values.compactMap { mapping -> KubeObjectProblem? in
            guard case .rejected(let rejected) = mapping else { return nil }
            let reasons = rejected.events.filter { $0.type == .warning }.map(\.message)
            return KubeObjectProblem(kind: KubeService.kind, namespace: rejected.id.namespace, name: rejected.id.name,
                                     message: "gets no address: " + reasons.joined(separator: "; "))
        }
        logNewProblems(build.problems + rejections)
        guard var snapshot = build.snapshot else {
            logger.error("the MetalLB configuration in namespace \(paths.namespace) is invalid and no valid one was seen yet; nothing is allocated or announced until it is fixed")
            return
        }
        snapshot.allocates = leading || !configuration.leaderElection.enabled
        let services = Dictionary((objects.services ?? [:]).values.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        state.withLock {
            if build.policyError == nil { $0.lastGoodPolicy = snapshot.policy }
            $0.services = services
            $0.mappings = build.services
            $0.mappingCache = cache
            $0.published += 1
        }
        continuation.yield(snapshot)
    }

    /// Logs the problems that are new since the last build.
    private func logNewProblems(_ problems: [KubeObjectProblem]) {
        let current = Set(problems.map(\.description))
        let new = state.withLock { state in
            defer { state.lastProblems = current }
            return current.subtracting(state.lastProblems)
        }
        for problem in new.sorted() { logger.error("\(problem)") }
        if !new.isEmpty && problems.contains(where: { $0.kind != KubeService.kind }) {
            logger.error("the MetalLB configuration has problems; the last valid configuration stays in force")
        }
    }

    /// Writes the kernel's decisions back: status, annotation and events while allocating; this node's
    /// `nodeAssigned` events always.
    ///
    /// - Throws: an error naming the Services whose writes failed (the kernel retries after its retry delay).
    public func record(_ report: AllocationReport) async throws {
        guard let connection = connection.withLock({ $0 }) else { return }
        let allocating = isAllocating
        let (writes, objects) = state.withLock { state in
            state.planner.allocating = allocating
            let owners = report.layer2Owned.map { owned in Dictionary(owned.map { ($0, node) }, uniquingKeysWith: { a, _ in a }) }
            return (state.planner.plan(report, objects: state.services, mappings: state.mappings, layer2Owners: owners),
                    state.services)
        }
        guard !writes.isEmpty else { return }
        let outcome = await connection.writer.perform(writes, objects: objects) { [self] in isAllocating }
        if !outcome.failed.isEmpty {
            let first = outcome.failed.sorted { $0.key < $1.key }.prefix(3)
                .map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            throw KubeWriteError(message: "\(outcome.failed.count) Service write(s) failed: \(first)")
        }
    }

    /// The Lease holder identity of this process: the node name and a random suffix, so two lbd processes on one
    /// node (a misconfiguration) never both believe they hold the Lease.
    static func identity(node: String) -> String {
        "\(node)_" + String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
    }
}

/// Writing back to the API server failed for some Services.
public struct KubeWriteError: Error, CustomStringConvertible, Sendable {
    /// Which Services, and why.
    public var message: String
    /// The message.
    public var description: String { message }
}
