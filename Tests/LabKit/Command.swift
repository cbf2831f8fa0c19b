import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The outcome of a command the lab ran to completion.
public struct CommandResult: Sendable, CustomStringConvertible {
    /// The command line.
    public var command: [String]
    /// The exit status (or 128 + signal).
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: String
    /// Everything it wrote to standard error.
    public var stderr: String

    /// True when the command exited with status 0.
    public var succeeded: Bool { status == 0 }

    /// The command, its status and its output, for failure messages.
    public var description: String {
        "`\(command.joined(separator: " "))` exited with \(status)"
            + (stdout.isEmpty ? "" : "\nstdout: \(stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
            + (stderr.isEmpty ? "" : "\nstderr: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}

/// Runs programs to completion (with `ChildProcess`), reading their output on threads of their own (not with
/// `readabilityHandler`, which raced and crashed the lbd process tests).
public enum Command {
    /// Directories searched for programs besides `PATH` (routers live in sbin directories).
    public static let extraDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
                                   "/usr/lib/frr"]

    /// The absolute path of `program` (a name looked up in `PATH`, or a path), or nil when it is not installed.
    public static func path(of program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        for directory in path + extraDirectories {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `arguments` to completion and returns its status and output; kills it (SIGKILL) after `timeout`.
    public static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let out = try pipe(), err = try pipe()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let child: ChildProcess
        do {
            defer { close(out.write); close(err.write); close(null) }
            child = try ChildProcess(arguments, stdin: null, stdout: out.write, stderr: err.write)
        } catch {
            close(out.read)
            close(err.read)
            throw error
        }
        let stdout = PipeReader(out.read), stderr = PipeReader(err.read)
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await (stdout.data(), stderr.data())
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let finished = await group.next() ?? false
            if !finished {
                // Timeout (or cancellation): kill our own child and stop reading.
                child.send(SIGKILL)
                stdout.abandon()
                stderr.abandon()
            }
            group.cancelAll()
            return finished
        }
        guard finished else {
            _ = try? await child.waitForExit(within: .seconds(5))
            throw LabError("`\(arguments.joined(separator: " "))` did not finish within \(timeout); killed")
        }
        let status = try await child.waitForExit(within: .seconds(10))
        return CommandResult(command: arguments, status: status,
                             stdout: String(decoding: await stdout.data(), as: UTF8.self),
                             stderr: String(decoding: await stderr.data(), as: UTF8.self))
    }

    /// A pipe whose both ends close on exec: only the child it is handed to (as 0–2) gets it. (`ChildProcess`
    /// closes every other descriptor anyway; this keeps it from programs other code spawns. Swift's Glibc module
    /// has no `pipe2`, hence `fcntl`.)
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else {
            throw LabError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Runs `arguments` and throws unless it exits with status 0.
    @discardableResult
    public static func check(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let result = try await run(arguments, timeout: timeout)
        guard result.succeeded else { throw LabError(result.description) }
        return result
    }

}
