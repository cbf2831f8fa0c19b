import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import LBKernelTestKit
import Testing
@testable import LBKernel

// Shared helpers of the file source tests (FileSource*Tests.swift, StateFileTests.swift,
// PolicyFileLoaderTests.swift): temporary directories, bounded waits and a log handler that tests can await.

/// A directory created for one test and removed with everything in it when the test is done.
final class FileSourceTestDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/lbd-filesource-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let created else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = URL(fileURLWithPath: String(cString: created)).standardizedFileURL.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` in the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` in place (truncate and write, as `>` in a shell).
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    /// Writes `text` to a new file and renames it over `name`, as editors do.
    @discardableResult
    func replace(_ name: String, _ text: String) throws -> String {
        let temporary = file(".\(name).swp")
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, file(name)) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return file(name)
    }

    /// Copies the fixture `Fixtures/filesource/<name>` into the directory under the same name.
    @discardableResult
    func copyFixture(_ name: String) throws -> String {
        try write(name, try fileSourceFixture(name))
    }

    /// The names in the directory.
    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

/// The text of `Fixtures/filesource/<name>`.
func fileSourceFixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/filesource/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

/// The test failed to see something within its time limit.
struct FileSourceTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Runs `operation`, failing with a message naming `what` when it takes longer than `limit` (the test kit's
/// bounded wait).
func fileSourceWait<T: Sendable>(_ limit: Duration = .seconds(10), for what: String,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withTimeout(limit, waitingFor: what, operation)
}

/// The next snapshot of `source` that satisfies `predicate`, within a bounded wait.
func nextSnapshot(of source: FileSource, within limit: Duration = .seconds(10), _ what: String,
                  where predicate: @escaping @Sendable (SourceSnapshot) -> Bool = { _ in true }) async throws
    -> SourceSnapshot {
    try await fileSourceWait(limit, for: what) {
        for await snapshot in source.snapshots where predicate(snapshot) { return snapshot }
        throw FileSourceTimeout(description: "the snapshot stream ended while waiting for \(what)")
    }
}

/// Log lines captured from a logger, which tests can await.
final class CapturedLog: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])
    private let signal: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() { (signal, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1)) }

    /// A logger whose lines land here.
    var logger: Logger { Logger(label: "test") { _ in Handler(log: self) } }

    /// The messages logged at `level`.
    func messages(at level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.level == level }.map(\.message) }
    }

    func append(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
        continuation.yield()
    }

    /// Waits until a message at `level` contains `text`.
    func waitFor(_ level: Logger.Level, containing text: String, within limit: Duration = .seconds(10)) async throws {
        try await fileSourceWait(limit, for: "a \(level) log line containing '\(text)'") { [self] in
            if messages(at: level).contains(where: { $0.contains(text) }) { return }
            for await _ in signal where messages(at: level).contains(where: { $0.contains(text) }) { return }
        }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            log.append(level, message.description)
        }
    }
}

/// A file source over `files` in `directory`, with its state file there too.
func makeFileSource(_ directory: FileSourceTestDirectory, files: [String], log: CapturedLog = CapturedLog(),
                    watch: FileWatcher.Mode = .auto) -> FileSource {
    let context = PluginContext(instanceName: "test", logger: log.logger, node: Node(name: "host-a"),
                                baseDirectory: directory.path)
    return FileSource(configuration: .init(files: files, stateFile: "state.json",
                                           pollInterval: GoDuration(nanoseconds: 20_000_000), watch: watch),
                      context: context)
}

/// What the kernel would do with `snapshot`: allocate with `allocator` and report.
func allocationReport(_ snapshot: SourceSnapshot, allocator: inout PoolAllocator) -> AllocationReport {
    let outcome = allocator.reconcile(policy: snapshot.policy, services: snapshot.services,
                                      recorded: snapshot.recorded)
    return AllocationReport(outcome: outcome, plan: AnnouncementPlan())
}

@Suite("File source")
struct FileSourceTests {
    @Test func publishesTheFilesAndTheRecordedAddresses() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("services.yaml")
        try directory.write("state.json", try fileSourceFixture("state-v1.json"))
        let source = makeFileSource(directory, files: ["services.yaml"])
        #expect(source.stateFile.path == directory.file("state.json"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            let snapshot = try await nextSnapshot(of: source, "the first snapshot")
            #expect(snapshot.services.map(\.id.description) == ["default/web", "infra/dns", "default/dual"])
            #expect(snapshot.policy.pools.map(\.name) == ["default", "reserved"])
            #expect(snapshot.nodes.map(\.name) == ["host-a", "host-b"])
            #expect(snapshot.recorded[ServiceID("default/web")] == [IPAddress("192.0.2.1")!])
            #expect(snapshot.recorded[ServiceID("infra/dns")] == [IPAddress("198.51.100.10")!, IPAddress("2001:db8::a")!])
            group.cancelAll()
        }
    }

    @Test func anInvalidEditIsLoggedAndTheLastGoodContentStays() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("multi-document.yaml")
        let log = CapturedLog()
        let source = makeFileSource(directory, files: ["multi-document.yaml"], log: log)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            let first = try await nextSnapshot(of: source, "the first snapshot")
            #expect(first.services.map(\.id.name) == ["api"])

            try directory.replace("multi-document.yaml", """
                pools:
                  - name: default
                    addresses: [192.0.2.0/28]
                services:
                  - name: api
                    portz: [8080]
                """)
            try await log.waitFor(.error, containing: "keeping the last good content")
            let problem = try #require(source.lastLoadProblems.first)
            #expect(source.lastLoadProblems.count == 1)
            #expect(problem.code == .unknownKey)
            #expect(problem.location?.file == directory.file("multi-document.yaml"))
            #expect(problem.location?.line == 6)
            #expect(problem.field == "services[0].portz")
            #expect(log.messages(at: .error).contains { $0.contains("multi-document.yaml:6") && $0.contains("portz") })
            #expect(source.lastGoodFiles?.services.map(\.id.name) == ["api"])
            #expect(source.publishedCount == 1)

            try directory.replace("multi-document.yaml", """
                pools:
                  - name: default
                    addresses: [192.0.2.0/28]
                services:
                  - name: api
                  - name: web
                """)
            let fixed = try await nextSnapshot(of: source, "the snapshot of the fixed file")
            #expect(fixed.services.map(\.id.name) == ["api", "web"])
            #expect(source.lastLoadProblems.isEmpty)
            #expect(source.publishedCount == 2)
            group.cancelAll()
        }
    }

    @Test func invalidFilesAtStartStopRunWithEveryProblem() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("unknown-key.yaml")
        let log = CapturedLog()
        let source = makeFileSource(directory, files: ["unknown-key.yaml"], log: log)
        let error = await #expect(throws: ConfigError.self) { try await source.run() }
        #expect(error?.problems.map(\.location?.line) == [10])
        #expect(source.lastLoadProblems == error?.problems)
        #expect(log.messages(at: .error).contains { $0.contains("unknown-key.yaml:10:1: servcies: unknown key") })
        #expect(log.messages(at: .error).contains { $0.contains("nothing is published") })
        #expect(source.publishedCount == 0)
        for await _ in source.snapshots { Issue.record("no snapshot is published for invalid files") }
    }

    @Test func reloadPublishesOnlyWhenTheContentChanged() throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("multi-document.yaml")
        let source = makeFileSource(directory, files: ["multi-document.yaml"])
        source.reload()
        source.reload()
        #expect(source.publishedCount == 1)
        try directory.write("multi-document.yaml", try fileSourceFixture("multi-document.yaml") + "\n# a comment\n")
        source.reload()
        #expect(source.publishedCount == 1)
        try directory.write("multi-document.yaml", "services: [{name: other}]\n")
        source.reload()
        #expect(source.publishedCount == 2)
    }

    @Test func gracefulShutdownReturnsAndFinishesTheStream() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("multi-document.yaml")
        let source = makeFileSource(directory, files: ["multi-document.yaml"])
        let group = ServiceGroup(services: [source], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        _ = try await nextSnapshot(of: source, "the first snapshot")
        await group.triggerGracefulShutdown()
        try await fileSourceWait(.seconds(5), for: "the service group to stop after graceful shutdown") {
            try await running.value
        }
        try await fileSourceWait(.seconds(5), for: "the snapshot stream to finish") {
            for await _ in source.snapshots {}
        }
    }

    @Test func recordWritesTheStateFileOnlyWhenAllocationsChange() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("multi-document.yaml")
        let source = makeFileSource(directory, files: ["multi-document.yaml"])
        let web = ServiceID("default/web"), api = ServiceID("default/api")
        let report = AllocationReport(
            outcome: AllocationOutcome(allocations: [
                api: Allocation(addresses: [IPAddress("192.0.2.1")!], pool: "default"),
                web: Allocation(addresses: [IPAddress("192.0.2.2")!], pool: "default"),
            ]),
            plan: AnnouncementPlan())

        try await source.record(report)
        #expect(!FileManager.default.fileExists(atPath: directory.file("state.json")),
                "nothing is recorded before the files were loaded once")

        source.reload()
        try await source.record(report)
        let written = try #require(try StateFile(path: directory.file("state.json")).read())
        #expect(written == [api: Allocation(addresses: [IPAddress("192.0.2.1")!], pool: "default")],
                "only this source's services are recorded")
        let inode = FileStatus(path: directory.file("state.json")).inode
        try await source.record(report)
        #expect(FileStatus(path: directory.file("state.json")).inode == inode,
                "an unchanged allocation does not rewrite the file (each write renames a new inode into place)")
        try await source.record(AllocationReport(outcome: AllocationOutcome(), plan: AnnouncementPlan()))
        #expect(FileStatus(path: directory.file("state.json")).inode != inode)
        #expect(try StateFile(path: directory.file("state.json")).read() == [:])
    }

    @Test func aCorruptStateFileStopsRunAndIsLeftUntouched() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("multi-document.yaml")
        let corrupt = String(try fileSourceFixture("state-v1.json").dropLast(20))
        try directory.write("state.json", corrupt)
        let log = CapturedLog()
        let source = makeFileSource(directory, files: ["multi-document.yaml"], log: log)
        let error = await #expect(throws: StateFileError.self) { try await source.run() }
        #expect(error?.code == .truncated)
        #expect(error?.description.contains(directory.file("state.json")) == true)
        #expect(error?.description.contains("move it away") == true)
        #expect(log.messages(at: .error).contains { $0.contains("state.json") && $0.contains("cut short") })
        #expect(try String(contentsOfFile: directory.file("state.json"), encoding: .utf8) == corrupt)
        #expect(source.publishedCount == 0)
        for await _ in source.snapshots { Issue.record("no snapshot is published with a corrupt state file") }
    }

    @Test func aRestartGivesEveryServiceTheSameAddresses() async throws {
        let directory = try FileSourceTestDirectory()
        let pools = """
            pools:
              - name: default
                addresses: [192.0.2.0/29, 2001:db8::/125]
            ---

            """
        try directory.write("services.yaml", pools + """
            services:
              - name: web
              - name: zeta
              - name: dual
                ipFamilyPolicy: RequireDualStack
            """)
        var before: [ServiceID: Allocation] = [:]
        do {
            let source = makeFileSource(directory, files: ["services.yaml"])
            var allocator = PoolAllocator()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await source.run() }
                let snapshot = try await nextSnapshot(of: source, "the first run's snapshot")
                #expect(snapshot.recorded.isEmpty)
                let report = allocationReport(snapshot, allocator: &allocator)
                before = report.outcome.allocations
                try await source.record(report)
                // The process is killed: no graceful shutdown, nothing more is written.
                group.cancelAll()
            }
        }
        #expect(before.count == 3)

        // A service that sorts first appears while lbd is down; without the recorded addresses it would take
        // web's address.
        try directory.write("services.yaml", pools + """
            services:
              - name: aaa
              - name: web
              - name: zeta
              - name: dual
                ipFamilyPolicy: RequireDualStack
            """)
        let source = makeFileSource(directory, files: ["services.yaml"])
        var allocator = PoolAllocator()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            let snapshot = try await nextSnapshot(of: source, "the second run's snapshot")
            #expect(snapshot.recorded == before.mapValues(\.addresses))
            let after = allocationReport(snapshot, allocator: &allocator).outcome.allocations
            for (id, allocation) in before { #expect(after[id] == allocation, "\(id) keeps its addresses") }
            #expect(after[ServiceID("default/aaa")] != nil)
            var forgetful = PoolAllocator()
            let withoutRecord = forgetful.reconcile(policy: snapshot.policy, services: snapshot.services, recorded: [:])
            #expect(withoutRecord.allocations[ServiceID("default/web")] != before[ServiceID("default/web")],
                    "the test's premise: without the state file, web would move")
            group.cancelAll()
        }
    }

    @Test func previewReportsFileAndStateFileProblemsTogether() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("unknown-key.yaml")
        try directory.write("state.json", "garbage")
        let source = makeFileSource(directory, files: ["unknown-key.yaml"])
        let error = await #expect(throws: ConfigError.self) { try await source.previewSnapshot() }
        let problems = error?.problems ?? []
        #expect(problems.count == 2)
        #expect(problems.last?.location?.file == directory.file("state.json"))
        #expect(problems.last?.message.contains("is not JSON") == true)

        try directory.replace("unknown-key.yaml", try fileSourceFixture("multi-document.yaml"))
        try directory.write("state.json", try fileSourceFixture("state-v1.json"))
        let snapshot = try await source.previewSnapshot()
        #expect(snapshot.services.map(\.id.name) == ["api"])
        #expect(snapshot.recorded.count == 2)
    }
}
