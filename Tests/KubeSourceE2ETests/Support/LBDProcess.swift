import Foundation
import LabKit
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One `lbd run` child process with the `kubernetes` source and the `log` announcer (nothing touches the network
/// but the test server): its files in a directory of its own (lbd.yaml, plugins.d/), its output in `lbd.log`.
///
/// Started by pid as a plain child, so `kill()` is a real `kill -9` and `stop()` a real SIGTERM.
final class LBDProcess: Sendable, CustomStringConvertible {
    /// The node name in lbd.yaml.
    let node: String
    /// The directory holding lbd.yaml, plugins.d/ and lbd.log.
    let directory: URL
    private let state = Mutex<(process: LabProcess?, starts: Int, stopped: Bool)>((nil, 0, false))

    /// Writes the files: `node: {name: node}`, the kubernetes source with `kubeconfig` and short Lease timing
    /// (plus `sourceExtra`, more keys of the source's file), and the log announcer.
    init(node: String, directory: URL, kubeconfig: URL, namespace: String, logLevel: String = "debug",
         sourceExtra: String = "") throws {
        self.node = node
        self.directory = directory
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("plugins.d"),
                                                withIntermediateDirectories: true)
        try write("lbd.yaml", """
            node:
              name: \(node)
            pluginsDirectory: plugins.d
            coalescingDelay: 10ms
            logLevel: \(logLevel)

            """)
        try write("plugins.d/kubernetes.yaml", """
            plugin: kubernetes
            name: cluster
            kubeconfig: \(kubeconfig.path)
            namespace: \(namespace)
            leaderElection:
              enabled: true
              leaseName: lbd-allocator
              leaseDuration: 2s
              renewDeadline: 1500ms
              retryPeriod: 200ms

            """ + sourceExtra)
        try write("plugins.d/log.yaml", """
            plugin: log
            name: log
            output: stdout

            """)
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Where lbd's output goes (every start, appended).
    var logFile: URL { directory.appendingPathComponent("lbd.log") }

    /// `lbd node-a (pid N)`.
    var description: String { "lbd \(node)" + (current.map { " (pid \($0.pid))" } ?? "") }

    /// The running (or last) process.
    var current: LabProcess? { state.withLock { $0.process } }

    /// True while lbd runs.
    var isRunning: Bool { current?.isRunning ?? false }

    /// Starts `lbd run --config <dir>/lbd.yaml`.
    func start() throws {
        let count = state.withLock { $0.starts += 1; return $0.starts }
        let binary = try LBDBinary.required()
        try "--- start \(count)\n".appendLine(to: logFile)
        let process = try LabProcess(name: "lbd-\(node)-\(count)",
                                     command: [binary, "run", "--config",
                                               directory.appendingPathComponent("lbd.yaml").path],
                                     logFile: logFile)
        state.withLock {
            $0.process = process
            $0.stopped = false
        }
    }

    /// Sends SIGTERM and waits (bounded) for lbd to exit; returns its exit status.
    @discardableResult
    func stop(within limit: Duration = .seconds(15)) async throws -> Int32 {
        guard let process = markStopped() else { throw LabError("\(self) was not started") }
        process.send(SIGTERM)
        return try await process.waitForExit(within: limit)
    }

    /// Kills lbd with SIGKILL (`kill -9`, no chance to clean up) and waits until it is gone.
    func kill() async {
        guard let process = markStopped() else { return }
        await process.stop(SIGKILL)
    }

    /// Stops lbd however it goes (SIGTERM, then SIGKILL after a grace period): for cleanup.
    func cleanUp() async {
        guard let process = markStopped() else { return }
        await process.stop(SIGTERM, grace: .seconds(5))
    }

    private func markStopped() -> LabProcess? {
        state.withLock {
            $0.stopped = true
            return $0.process
        }
    }

    /// Throws, with the log's tail, when lbd exited though the test did not stop it.
    func requireRunning() throws {
        let (process, stopped) = state.withLock { ($0.process, $0.stopped) }
        guard let process, !stopped else { return }
        try process.requireRunning()
    }

    /// lbd's output so far (every start).
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The last `count` lines of the output.
    func logTail(_ count: Int = 40) -> String {
        log.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }

    /// Waits (bounded) for a line of the current start's output matching `predicate` and returns it; throws at
    /// once if lbd exits.
    @discardableResult
    func waitForLog(_ what: String, within limit: Duration = KubeCluster.wait,
                    where predicate: @escaping (Substring) -> Bool) async throws -> String {
        guard current != nil else { throw LabError("\(self) was not started") }
        return try await poll("\(what) in the log of \(self)", within: limit, every: .milliseconds(50),
                              abortIf: { try requireRunning() }) { () -> String? in
            currentStartLog.split(separator: "\n").first(where: predicate).map(String.init)
        }
    }

    /// The output of the current start only.
    var currentStartLog: String {
        let starts = state.withLock { $0.starts }
        let text = log
        guard let marker = text.range(of: "--- start \(starts)\n") else { return "" }
        return String(text[marker.upperBound...])
    }

    /// Output lines containing `text`.
    func logLines(containing text: String) -> [Substring] {
        log.split(separator: "\n").filter { $0.contains(text) }
    }
}
