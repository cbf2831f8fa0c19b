import Foundation
import Logging
import Synchronization
import Testing
@testable import LBKernel

/// Counts a watcher's callbacks and lets a test await a count.
final class ChangeCounter: Sendable {
    private let count = Mutex(0)
    private let signal: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() { (signal, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1)) }

    var value: Int { count.withLock { $0 } }

    func increment() {
        count.withLock { $0 += 1 }
        continuation.yield()
    }

    /// Waits until at least `target` callbacks happened.
    func waitFor(atLeast target: Int, _ what: String) async throws {
        try await fileSourceWait(.seconds(10), for: what) { [self] in
            if value >= target { return }
            for await _ in signal where value >= target { return }
        }
    }
}

/// Runs `watcher` while `body` runs, then cancels it and checks that it stops promptly.
func withRunningWatcher(_ watcher: FileWatcher, _ body: (ChangeCounter) async throws -> Void) async throws {
    let counter = ChangeCounter()
    let task = Task { await watcher.run { counter.increment() } }
    do {
        try await counter.waitFor(atLeast: 1, "the watcher's first call once armed")
        try await body(counter)
    } catch {
        task.cancel()
        throw error
    }
    task.cancel()
    try await fileSourceWait(.seconds(5), for: "the watcher to stop after cancellation") { await task.value }
}

@Suite("File source watcher")
struct FileSourceWatcherTests {
    @Test func inotifySeesAnInPlaceWrite() async throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("a.yaml", "one")
        let log = CapturedLog()
        try await withRunningWatcher(FileWatcher(paths: [path], logger: log.logger)) { counter in
            try directory.write("a.yaml", "two")
            try await counter.waitFor(atLeast: 2, "the in-place write to be seen")
        }
        #expect(log.messages(at: .warning).isEmpty, "inotify was used: \(log.messages(at: .warning))")
    }

    @Test func inotifyFollowsAFileReplacedByRename() async throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("a.yaml", "one")
        try await withRunningWatcher(FileWatcher(paths: [path])) { counter in
            try directory.replace("a.yaml", "two")
            try await counter.waitFor(atLeast: 2, "the first rename to be seen")
            let seen = counter.value
            try directory.replace("a.yaml", "three")
            try await counter.waitFor(atLeast: seen + 1, "the second rename to be seen (the new file is followed)")
        }
    }

    @Test func inotifySeesADeletedAndRecreatedFile() async throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("a.yaml", "one")
        let other = try directory.write("b.yaml", "one")
        try await withRunningWatcher(FileWatcher(paths: [path, other])) { counter in
            try FileManager.default.removeItem(atPath: path)
            try await counter.waitFor(atLeast: 2, "the deletion to be seen")
            let seen = counter.value
            try directory.write("a.yaml", "again")
            try await counter.waitFor(atLeast: seen + 1, "the new file to be seen")
        }
    }

    @Test func pollingSeesAnEdit() async throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("a.yaml", "one")
        let watcher = FileWatcher(paths: [path], pollInterval: .milliseconds(20), mode: .poll)
        try await withRunningWatcher(watcher) { counter in
            try directory.write("a.yaml", "a longer text")
            try await counter.waitFor(atLeast: 2, "polling to see the edit")
            let seen = counter.value
            try directory.replace("a.yaml", "replaced")
            try await counter.waitFor(atLeast: seen + 1, "polling to see the replaced file")
        }
    }

    @Test func aMissingDirectoryFallsBackToPolling() async throws {
        let directory = try FileSourceTestDirectory()
        let path = directory.file("later/a.yaml")
        let log = CapturedLog()
        let watcher = FileWatcher(paths: [path], pollInterval: .milliseconds(20), logger: log.logger)
        try await withRunningWatcher(watcher) { counter in
            #expect(log.messages(at: .warning).contains { $0.contains("cannot use inotify") && $0.contains("polling") })
            try FileManager.default.createDirectory(atPath: directory.file("later"), withIntermediateDirectories: true)
            try directory.write("later/a.yaml", "now")
            try await counter.waitFor(atLeast: 2, "polling to see the file appear")
        }
    }

    @Test func aRemovedDirectoryFallsBackToPolling() async throws {
        let directory = try FileSourceTestDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("conf"), withIntermediateDirectories: true)
        let path = try directory.write("conf/a.yaml", "one")
        let log = CapturedLog()
        let watcher = FileWatcher(paths: [path], pollInterval: .milliseconds(20), logger: log.logger)
        try await withRunningWatcher(watcher) { counter in
            try FileManager.default.removeItem(atPath: directory.file("conf"))
            try await log.waitFor(.warning, containing: "inotify stopped")
            let seen = counter.value
            try FileManager.default.createDirectory(atPath: directory.file("conf"), withIntermediateDirectories: true)
            try directory.write("conf/a.yaml", "back again")
            try await counter.waitFor(atLeast: seen + 1, "polling to see the file again")
        }
    }

    @Test(arguments: [FileWatcher.Mode.auto, .poll])
    func cancellationStopsPromptly(mode: FileWatcher.Mode) async throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("a.yaml", "one")
        // A long poll interval: only cancellation can end the wait promptly.
        let watcher = FileWatcher(paths: [path], pollInterval: .seconds(3600), mode: mode)
        let clock = ContinuousClock()
        let start = clock.now
        try await withRunningWatcher(watcher) { _ in }
        // Far below the poll interval (only cancellation can end it this soon), with room for a loaded CI machine.
        #expect(clock.now - start < .seconds(60))
    }

    @Test func aFileSourceFollowsEditsWhenPolling() async throws {
        let directory = try FileSourceTestDirectory()
        try directory.copyFixture("multi-document.yaml")
        let source = makeFileSource(directory, files: ["multi-document.yaml"], watch: .poll)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await source.run() }
            _ = try await nextSnapshot(of: source, "the first snapshot")
            try directory.write("multi-document.yaml", "services:\n  - name: polled\n")
            let snapshot = try await nextSnapshot(of: source, "the polled edit")
            #expect(snapshot.services.map(\.id.name) == ["polled"])
            group.cancelAll()
        }
    }
}
