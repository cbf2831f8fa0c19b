// The file source (`plugin: file`, docs/file-source.md). Files:
//   FileSource.swift                 the plugin: loads, publishes, re-publishes on change, records allocations
//   FileSource+Configuration.swift   its plugin file keys
//   PolicyFileLoader.swift           files -> documents -> merged, validated policy + services + nodes (also `lbd check`)
//   LBDDocument.swift                lbd's own document schema: the policy keys plus `services:` and `nodes:`
//   ServiceEntry.swift               a service as written in YAML, and the rules decoding cannot check
//   FileWatcher.swift                inotify on the files' directories (reader thread + stop pipe), polling fallback
//   StateFile.swift                  the allocations, as checksummed JSON written atomically

import Logging
import ServiceLifecycle
import Synchronization

/// The address source for hosts without Kubernetes (`plugin: file`): services, nodes and policy come from YAML
/// files, and the addresses the kernel gives the services are kept in a state file.
///
/// `run()` reads the state file, loads the files (through ``PolicyFileLoader``, so lbd's own schema and MetalLB
/// resources are both accepted), publishes a complete ``SourceSnapshot`` and then watches the files with a
/// ``FileWatcher``, publishing again whenever their content changes. An edit that makes the files invalid is
/// logged, problem by problem with file, line and key, and nothing is published: the last good snapshot stays
/// in force. When the files are invalid at start, `run()` logs every problem and throws them as a ``ConfigError``,
/// so lbd does not start on a broken configuration.
///
/// ``record(_:)`` writes the allocations of this source's services to the ``StateFile`` whenever they change, and
/// the next start replays them through ``SourceSnapshot/recorded``, so every service keeps its addresses across
/// restarts, including after `kill -9`. A state file that is corrupt or cut short stops `run()` with a
/// ``StateFileError``; the file is left as it is for the user to fix or move away.
public final class FileSource: PreviewableSource, Plugin {
    /// `plugin: file`.
    public static let kind = "file"

    /// The snapshots, newest last; only the newest unread one is kept.
    public let snapshots: AsyncStream<SourceSnapshot>
    /// The files read, in order, resolved against the plugin file's directory.
    public let files: [String]
    /// The state file.
    public let stateFile: StateFile

    private let continuation: AsyncStream<SourceSnapshot>.Continuation
    private let watcher: FileWatcher
    private let loader: PolicyFileLoader
    private let logger: Logger
    /// What the files held when last loaded, and what was wrong with them.
    private let loadState = Mutex(LoadState())
    /// The allocations last written to (or read from) the state file.
    private let recorded = Mutex<[ServiceID: Allocation]>([:])

    struct LoadState {
        /// The content of the last good load; nil until the files were valid once.
        var lastGood: LoadedFiles?
        /// The problems of the last load; empty when it was good.
        var problems: [ConfigProblem] = []
        /// How many snapshots were published.
        var published = 0
    }

    /// Creates the source from its plugin file; nothing is read until `run()`.
    public init(configuration: Configuration, context: PluginContext) {
        files = configuration.files.map(context.resolve)
        stateFile = StateFile(path: context.resolve(configuration.stateFilePath(instanceName: context.instanceName)))
        watcher = FileWatcher(paths: files, pollInterval: configuration.pollInterval.duration,
                              mode: configuration.watch, logger: context.logger)
        loader = PolicyFileLoader()
        logger = context.logger
        (snapshots, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The problems found by the last load of the files; empty when it succeeded.
    public var lastLoadProblems: [ConfigProblem] { loadState.withLock { $0.problems } }

    /// The content of the last good load (the one in force), or nil when the files were never valid.
    public var lastGoodFiles: LoadedFiles? { loadState.withLock { $0.lastGood } }

    /// How many snapshots were published since the source was created.
    var publishedCount: Int { loadState.withLock { $0.published } }

    /// The allocations the state file holds, as last written or read.
    public var recordedAllocations: [ServiceID: Allocation] { recorded.withLock { $0 } }

    /// Reads the state file, publishes the files' content, and republishes on every change until graceful
    /// shutdown or cancellation; then finishes ``snapshots``.
    ///
    /// - Throws: ``StateFileError`` when the state file exists but cannot be read or is corrupt; ``ConfigError``
    ///   with every problem when the files are invalid at start.
    public func run() async throws {
        defer { continuation.finish() }
        let initial: [ServiceID: Allocation]
        do {
            initial = try stateFile.read() ?? [:]
        } catch {
            logger.error("\(error)")
            throw error
        }
        recorded.withLock { $0 = initial }
        logger.info(initial.isEmpty
            ? "no recorded allocations in \(stateFile.path)"
            : "read \(initial.count) recorded allocation(s) from \(stateFile.path)")
        if let error = reload() { throw error }
        await cancelWhenGracefulShutdown { [self] in
            await watcher.run { self.reload() }
        }
    }

    /// Records the allocations of this source's services in the state file when they changed.
    ///
    /// - Throws: ``StateFileError`` when the file cannot be written; the kernel retries with its next report.
    public func record(_ report: AllocationReport) async throws {
        guard let mine = loadState.withLock({ $0.lastGood.map { Set($0.services.map(\.id)) } }) else { return }
        let allocations = report.outcome.allocations.filter { mine.contains($0.key) }
        try recorded.withLock { (current: inout [ServiceID: Allocation]) throws(StateFileError) in
            guard current != allocations else { return }
            try stateFile.write(allocations)
            current = allocations
        }
        logger.debug("recorded \(allocations.count) allocation(s) in \(stateFile.path)")
    }

    /// The snapshot `run()` would publish first, for `lbd check` and `lbd plan`; nothing is written.
    ///
    /// - Throws: ``ConfigError`` with every problem of the files and, when the state file cannot be used, a
    ///   problem naming it.
    public func previewSnapshot() async throws -> SourceSnapshot {
        var problems: [ConfigProblem] = []
        var loaded = LoadedFiles()
        do { loaded = try loader.load(paths: files) } catch { problems += error.problems }
        var allocations: [ServiceID: Allocation] = [:]
        do {
            allocations = try stateFile.read() ?? [:]
        } catch {
            problems.append(ConfigProblem(error.code == .io ? .io : .invalidValue,
                                          error.message + (error.advice.map { "; \($0)" } ?? ""),
                                          object: "state file", location: SourceLocation(file: error.path)))
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return SourceSnapshot(services: loaded.services, policy: loaded.policy, nodes: loaded.nodes,
                              recorded: allocations.mapValues(\.addresses))
    }

    /// Loads the files again; publishes when they are valid and their content changed, logs their problems
    /// and returns them when they are not.
    @discardableResult
    func reload() -> ConfigError? {
        let loaded: LoadedFiles
        do {
            loaded = try loader.load(paths: files)
        } catch {
            let (isNew, hadGood) = loadState.withLock { state in
                defer { state.problems = error.problems }
                return (state.problems != error.problems, state.lastGood != nil)
            }
            guard isNew else { return error }
            for problem in error.problems { logger.error("\(problem)") }
            let consequence = hadGood ? "keeping the last good content" : "nothing is published"
            logger.error("\(error.problems.count) problem(s) in \(files.joined(separator: ", ")); \(consequence)")
            return error
        }
        let recordedAddresses = recorded.withLock { $0.mapValues(\.addresses) }
        let (changed, wasInvalid) = loadState.withLock { state in
            let changed = state.lastGood != loaded, wasInvalid = !state.problems.isEmpty
            state.lastGood = loaded
            state.problems = []
            if changed { state.published += 1 }
            return (changed, wasInvalid)
        }
        if wasInvalid { logger.notice("\(files.joined(separator: ", ")) valid again") }
        guard changed else { return nil }
        let counts = "\(loaded.services.count) service(s), \(loaded.nodes.count) node(s), \(loaded.policy.pools.count) pool(s)"
        logger.info("loaded \(counts) from \(files.count) file(s)")
        continuation.yield(SourceSnapshot(services: loaded.services, policy: loaded.policy, nodes: loaded.nodes,
                                          recorded: recordedAddresses))
        return nil
    }
}
