import Foundation

/// A long-running program a lab started (a router daemon, tshark, lbd, an echo server), writing its output to a log
/// file.
///
/// Started through `ip netns exec`, which execs the program, so `pid` is the program's own (bgp-baseline.md
/// pitfall 6). Signals go only to that pid, and only while the process is still ours (not yet reaped). A
/// `ChildProcess` that is let go kills and reaps its process.
public final class LabProcess: Sendable, CustomStringConvertible {
    /// A short name for messages ("bird", "bgpd", "lbd").
    public let name: String
    /// The command line.
    public let command: [String]
    /// Where standard output and standard error go.
    public let logFile: URL
    private let child: ChildProcess

    /// Starts `command` with its output appended to `logFile`.
    public init(name: String, command: [String], logFile: URL, environment: [String: String]? = nil) throws {
        self.name = name
        self.command = command
        self.logFile = logFile
        let log = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(log); close(null) }
        guard log >= 0 else { throw LabError("cannot open \(logFile.path): \(String(cString: strerror(errno)))") }
        child = try ChildProcess(command, stdin: null, stdout: log, stderr: log, environment: environment)
    }

    /// The process ID.
    public var pid: Int32 { child.pid }

    /// True until the process has exited.
    public var isRunning: Bool { child.isRunning }

    /// `name (pid N)`.
    public var description: String { "\(name) (pid \(pid))" }

    /// Sends `signal` to the process, if it is still running.
    public func send(_ signal: Int32) { child.send(signal) }

    /// Waits (bounded) for the process to exit and returns its status (128 + signal when a signal ended it).
    @discardableResult
    public func waitForExit(within limit: Duration = .seconds(10)) async throws -> Int32 {
        try await child.waitForExit(within: limit)
    }

    /// Asks the process to stop with `signal` (SIGTERM), then kills it (SIGKILL) if it is still there after `grace`.
    public func stop(_ signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) async {
        guard isRunning else { return }
        send(signal)
        if (try? await waitForExit(within: grace)) == nil {
            send(SIGKILL)
            _ = try? await waitForExit(within: .seconds(10))
        }
    }

    /// Everything the process has written so far.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The last `count` lines of the log, for failure messages.
    public func logTail(_ count: Int = 30) -> String {
        log.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }

    /// Throws when the process has exited: for waits that must not outlive the daemon they wait on.
    public func requireRunning() throws {
        guard let status = child.exitStatus else { return }
        throw LabError("\(self) exited with status \(status); `\(command.joined(separator: " "))`; "
                       + "log \(logFile.path):\n\(logTail())")
    }

    /// Waits (bounded) for a log line matching `predicate` and returns it.
    @discardableResult
    public func waitForLog(_ what: String, within limit: Duration = .seconds(30),
                    where predicate: (Substring) -> Bool) async throws -> String {
        try await poll("\(what) in the log of \(self)", within: limit, every: .milliseconds(50),
                       abortIf: { try requireRunning() }) { () -> String? in
            log.split(separator: "\n").first(where: predicate).map(String.init)
        }
    }
}
