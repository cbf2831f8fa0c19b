// Informer: the async shell of InformerStateMachine for one resource path: it runs the list and watch requests,
// the back-off and publish timers, and publishes the current set of objects to an AsyncStream.
public import Logging
public import ServiceLifecycle

/// Keeps the current set of objects of one resource (such as `/api/v1/services`) and publishes all of them,
/// keyed by `namespace/name`, to ``snapshots`` after every change (coalesced within
/// ``InformerStateMachine/Options/publishInterval``).
///
/// Run it with ``run()`` (it is a swift-service-lifecycle `Service`); it runs until cancelled and then finishes
/// ``snapshots``. The first snapshot arrives after the first complete list (so it also says "synced"); every
/// snapshot is the whole set, never a delta. Objects that fail to decode are logged, passed to `onProblem`, and
/// skipped. Each list and watch is its own task, so a watch can be cancelled alone (a silent one, or after
/// `410 Gone`); events of a cancelled watch are recognised by their generation and dropped.
public final class Informer<Object: KubeObject>: Service, Sendable {
    /// Tuning of one informer.
    public struct Options: Sendable {
        /// The protocol's tuning (back-off, silence limit, publish interval).
        public var machine: InformerStateMachine<Object>.Options
        /// The `limit` of each list page.
        public var pageSize: Int?
        /// The `timeoutSeconds` asked of the server for each watch.
        public var watchTimeoutSeconds: Int
        /// How often a silent watch is looked for.
        public var tickInterval: Duration

        /// Creates options.
        public init(machine: InformerStateMachine<Object>.Options = .init(), pageSize: Int? = 500,
                    watchTimeoutSeconds: Int = 300, tickInterval: Duration? = nil) {
            self.machine = machine
            self.pageSize = pageSize
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.tickInterval = tickInterval ?? max(.milliseconds(10), machine.silenceLimit / 4)
        }
    }

    /// The complete current set of objects after each change; only the newest unread snapshot is kept.
    public let snapshots: AsyncStream<[String: Object]>
    /// The API path of the resource's collection.
    public let path: String
    private let client: KubeClient
    private let options: Options
    private let logger: Logger
    private let onProblem: @Sendable (KubeObjectProblem) -> Void
    private let output: AsyncStream<[String: Object]>.Continuation

    /// Creates an informer for the collection at `path`, such as `/api/v1/services` or
    /// `/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools`.
    public init(client: KubeClient, path: String, options: Options = Options(), logger: Logger,
                onProblem: @escaping @Sendable (KubeObjectProblem) -> Void = { _ in }) {
        self.client = client
        self.path = path
        self.options = options
        self.logger = logger
        self.onProblem = onProblem
        (snapshots, output) = AsyncStream.makeStream(of: [String: Object].self, bufferingPolicy: .bufferingNewest(1))
    }

    /// An event for the machine, tagged with the list or watch it comes from (stale ones are dropped).
    private struct Input: Sendable {
        var generation: Int?
        var event: InformerStateMachine<Object>.Event
    }

    /// Lists, watches and publishes until the task is cancelled or a graceful shutdown begins; then finishes
    /// ``snapshots``. Run it once.
    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in await loop() }
    }

    private func loop() async {
        defer { output.finish() }
        let (inputs, input) = AsyncStream.makeStream(of: Input.self)
        var machine = InformerStateMachine<Object>(options: options.machine)
        var generation = 0
        var current: Task<Void, Never>?
        let ticker = Task { [tickInterval = options.tickInterval] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: tickInterval) } catch { return }
                input.yield(Input(event: .tick))
            }
        }
        defer {
            ticker.cancel()
            current?.cancel()
            input.finish()
        }
        input.yield(Input(event: .start))
        await withTaskCancellationHandler {
            for await next in inputs {
                if let tag = next.generation, tag != generation { continue }
                for action in machine.handle(next.event, now: .now) {
                    switch action {
                    case .startList:
                        generation += 1
                        current?.cancel()
                        current = startList(generation: generation, input: input)
                    case .startWatch(let version):
                        generation += 1
                        current?.cancel()
                        current = startWatch(from: version, generation: generation, input: input)
                    case .cancelWatch:
                        generation += 1
                        current?.cancel()
                        current = nil
                    case .backoff(let delay):
                        logger.notice("backing off", metadata: ["path": "\(path)", "delay": "\(delay)"])
                        Self.after(delay) { input.yield(Input(event: .backoffElapsed)) }
                    case .scheduleTick(let delay):
                        Self.after(delay) { input.yield(Input(event: .tick)) }
                    case .publish(let objects):
                        output.yield(objects)
                    case .report(let problem):
                        logger.warning("skipped an object that does not decode",
                                       metadata: ["path": "\(path)", "problem": "\(problem)"])
                        onProblem(problem)
                    }
                }
            }
        } onCancel: {
            input.finish()
        }
    }

    /// Runs `body` after `delay`; a timer outliving the informer yields into a finished stream, which is harmless.
    private static func after(_ delay: Duration, _ body: @escaping @Sendable () -> Void) {
        Task {
            do { try await Task.sleep(for: delay) } catch { return }
            body()
        }
    }

    private func startList(generation: Int, input: AsyncStream<Input>.Continuation) -> Task<Void, Never> {
        Task { [client, path, pageSize = options.pageSize, logger] in
            do {
                let result = try await client.listAll(path, as: Object.self, pageSize: pageSize)
                logger.debug("listed", metadata: ["path": "\(path)", "count": "\(result.items.count)",
                                                  "resourceVersion": "\(result.resourceVersion)"])
                input.yield(Input(generation: generation, event: .listed(items: result.items,
                                                                         resourceVersion: result.resourceVersion,
                                                                         problems: result.problems)))
            } catch {
                if Task.isCancelled { return }
                logger.notice("list failed", metadata: ["path": "\(path)", "error": "\(error)"])
                input.yield(Input(generation: generation, event: .listFailed(.init(error))))
            }
        }
    }

    private func startWatch(from version: String, generation: Int,
                            input: AsyncStream<Input>.Continuation) -> Task<Void, Never> {
        Task { [client, path, timeout = options.watchTimeoutSeconds, logger] in
            do {
                let lines = try await client.watch(path, resourceVersion: version.isEmpty ? nil : version,
                                                   timeoutSeconds: timeout)
                for try await line in lines {
                    input.yield(Input(generation: generation, event: .watchEvent(WatchLine<Object>.decode(line))))
                }
                if Task.isCancelled { return }
                input.yield(Input(generation: generation, event: .watchEnded(nil)))
            } catch {
                if Task.isCancelled { return }
                logger.notice("watch ended", metadata: ["path": "\(path)", "error": "\(error)"])
                input.yield(Input(generation: generation, event: .watchEnded(.init(error))))
            }
        }
    }
}
