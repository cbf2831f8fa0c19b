import Foundation
import LBKernelTestKit
import Synchronization

/// A running (or finished) `lbd` process started by a test, with its output captured line by line.
final class LBDProcess: Sendable {
    /// The lbd binary built by `swift build` beside the test bundle (or `LBD_BINARY`).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["LBD_BINARY"] { return path }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // .build/<triple>/debug/lbdPackageTests.xctest (a file on Linux, a bundle elsewhere).
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("lbd").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("lbd").path
    }

    /// The repository's root (for the bundled demo and plugins.d).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    let process: Process
    private let stdout = Lines()
    private let stderr = Lines()

    final class Lines: Sendable {
        typealias Waiter = (predicate: @Sendable (String) -> Bool, continuation: CheckedContinuation<String?, Never>)
        private let state = Mutex<(buffer: String, lines: [String], waiters: [Waiter], done: Bool)>(("", [], [], false))

        func feed(_ data: Data) {
            let ready = state.withLock { state -> [(CheckedContinuation<String?, Never>, String)] in
                state.buffer += String(decoding: data, as: UTF8.self)
                var ready: [(CheckedContinuation<String?, Never>, String)] = []
                while let newline = state.buffer.firstIndex(of: "\n") {
                    let line = String(state.buffer[..<newline])
                    state.buffer = String(state.buffer[state.buffer.index(after: newline)...])
                    state.lines.append(line)
                    state.waiters.removeAll { waiter in
                        if waiter.predicate(line) { ready.append((waiter.continuation, line)); return true }
                        return false
                    }
                }
                return ready
            }
            for (continuation, line) in ready { continuation.resume(returning: line) }
        }

        func finish() {
            let waiting = state.withLock { state in
                defer { state.waiters = []; state.done = true }
                return state.waiters.map(\.continuation)
            }
            for continuation in waiting { continuation.resume(returning: nil) }
        }

        var all: [String] { state.withLock { $0.lines } }

        func first(where predicate: @escaping @Sendable (String) -> Bool) async -> String? {
            await withCheckedContinuation { continuation in
                let found = state.withLock { state -> String?? in
                    if let line = state.lines.first(where: predicate) { return .some(line) }
                    if state.done { return .some(nil) }
                    state.waiters.append((predicate, continuation))
                    return nil
                }
                if let found { continuation.resume(returning: found) }
            }
        }
    }

    /// Starts `lbd arguments…` in `directory`.
    init(_ arguments: [String], in directory: URL? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: LBDProcess.binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Plain blocking reads on threads of their own: no dispatch sources watching descriptors that Foundation
        // may close (that raced and crashed the test process).
        for (pipe, lines) in [(out, stdout), (err, stderr)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                let fd = handle.fileDescriptor
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    lines.feed(Data(buffer[0..<count]))
                }
                lines.finish()
            }
        }
    }

    /// Runs `lbd arguments…` to completion and returns its exit status and output.
    static func run(_ arguments: [String], in directory: URL? = nil,
                    timeout: Duration = .seconds(60)) async throws -> (status: Int32, stdout: [String], stderr: [String]) {
        let lbd = try LBDProcess(arguments, in: directory)
        let status = try await lbd.waitForExit(within: timeout)
        _ = await lbd.stdout.first { _ in false }  // drained: the pipe's end finishes every waiter
        _ = await lbd.stderr.first { _ in false }
        return (status, lbd.stdout.all, lbd.stderr.all)
    }

    /// Waits (bounded) for a line on standard output matching `predicate`.
    @discardableResult
    func waitForOutput(within limit: Duration = .seconds(60), _ what: String,
                       where predicate: @escaping @Sendable (String) -> Bool) async throws -> String {
        let lines = stdout
        let line = try await withTimeout(limit, waitingFor: "\(what); stdout so far: \(stdout.all); stderr: \(stderr.all)") {
            await lines.first(where: predicate)
        }
        guard let line else {
            throw TimeoutError(waitingFor: "\(what) (lbd exited; stdout: \(stdout.all); stderr: \(stderr.all))", limit: limit)
        }
        return line
    }

    /// Standard output so far.
    var outputLines: [String] { stdout.all }
    /// Standard error so far.
    var errorLines: [String] { stderr.all }

    /// Sends `signal` to this process (only ever to the process the test started, by its pid).
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits (bounded) for the process to exit and returns its status.
    func waitForExit(within limit: Duration = .seconds(60)) async throws -> Int32 {
        let process = self.process
        return try await withTimeout(limit, waitingFor: "lbd to exit") {
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            return process.terminationStatus
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
