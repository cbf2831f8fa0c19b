import Foundation
import Synchronization

/// The outcome of a command the lab ran to completion.
struct CommandResult: Sendable, CustomStringConvertible {
    /// The command line.
    var command: [String]
    /// The exit status (or 128 + signal).
    var status: Int32
    /// Everything it wrote to standard output.
    var stdout: String
    /// Everything it wrote to standard error.
    var stderr: String

    /// True when the command exited with status 0.
    var succeeded: Bool { status == 0 }

    /// The command, its status and its output, for failure messages.
    var description: String {
        "`\(command.joined(separator: " "))` exited with \(status)"
            + (stdout.isEmpty ? "" : "\nstdout: \(stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
            + (stderr.isEmpty ? "" : "\nstderr: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}

/// Runs programs to completion or starts them in the background, without `readabilityHandler` (which raced and
/// crashed the lbd process tests): pipes are read with blocking reads on threads of their own.
enum Command {
    /// Directories searched for programs besides `PATH` (routers live in sbin directories).
    static let extraDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
                                   "/usr/lib/frr"]

    /// The absolute path of `program` (a name looked up in `PATH`, or a path), or nil when it is not installed.
    static func path(of program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        for directory in path + extraDirectories {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A process for `arguments` (the first is the program), not yet started.
    static func process(_ arguments: [String]) throws -> Process {
        guard let program = arguments.first, let executable = path(of: program) else {
            throw LabError("cannot run `\(arguments.joined(separator: " "))`: \(arguments.first ?? "nothing") is not installed")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        return process
    }

    /// Runs `arguments` to completion and returns its status and output; kills it (SIGKILL) after `timeout`.
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let process = try Command.process(arguments)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try launch(process)
        let pid = process.processIdentifier
        // Our own copies of the read ends: EOF comes when the child (and anything it forked) closes its ends.
        let outFD = dup(out.fileHandleForReading.fileDescriptor)
        let errFD = dup(err.fileHandleForReading.fileDescriptor)

        let collected = await withTaskGroup(of: (Data, Data)?.self) { group in
            group.addTask {
                async let stdout = readToEnd(outFD)
                async let stderr = readToEnd(errFD)
                return await (stdout, stderr)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            // On timeout (or cancellation) kill our own child: its pipes close and the readers finish.
            if first == nil { kill(pid, SIGKILL) }
            group.cancelAll()
            return first
        }
        guard let (stdout, stderr) = collected else {
            _ = try? await waitForExit(process, within: .seconds(5))
            throw LabError("`\(arguments.joined(separator: " "))` did not finish within \(timeout); killed")
        }
        let status = try await waitForExit(process, within: .seconds(10))
        return CommandResult(command: arguments, status: status, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs `arguments` and throws unless it exits with status 0.
    @discardableResult
    static func check(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let result = try await run(arguments, timeout: timeout)
        guard result.succeeded else { throw LabError(result.description) }
        return result
    }

    /// Starts `process` from a thread whose signal mask is empty.
    ///
    /// A child inherits the mask of the thread that spawns it, and the test runner's threads block SIGINT, SIGTERM
    /// and others: a daemon started from one would ignore SIGTERM (a router could never stop cleanly) and tshark
    /// SIGINT.
    static func launch(_ process: Process) throws {
        let outcome = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try process.run() } catch { outcome.withLock { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = outcome.withLock({ $0 }) { throw error }
    }

    /// Reads `fd` to end of file on a thread of its own, then closes it.
    static func readToEnd(_ fd: Int32) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var data = Data()
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    data.append(contentsOf: buffer[0..<count])
                }
                close(fd)
                continuation.resume(returning: data)
            }
        }
    }

    /// Waits (bounded) for `process` to exit and returns its status (128 + signal when a signal ended it).
    static func waitForExit(_ process: Process, within limit: Duration) async throws -> Int32 {
        try await poll("`\(process.executableURL?.lastPathComponent ?? "?")` (pid \(process.processIdentifier)) to exit",
                       within: limit, every: .milliseconds(5)) { () -> Int32? in
            guard !process.isRunning else { return nil }
            return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus
                : process.terminationStatus
        }
    }
}
