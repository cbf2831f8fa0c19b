import Foundation
import LabKit
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// lbd on one node of the Layer 2 lab: its files in `<lab>/<node>/` (lbd.yaml, plugins.d with the file source
/// reading the lab's `policy.yaml` and the layer2 plugin), run with `lbd run` in the node's namespace by pid, so
/// that `kill()` is a real `kill -9`.
final class LBDNode: Sendable {
    /// The lab it runs in.
    let lab: Layer2Lab
    /// The node it runs on.
    let host: LabHost
    /// Its configuration directory.
    let directory: URL
    private let process = Mutex<LabProcess?>(nil)
    private let starts = Mutex(0)

    /// Writes lbd's files for `host`; `layer2` adds lines to the layer2 plugin file (`gratuitous: ...`).
    init(lab: Layer2Lab, host: LabHost, layer2 extra: String = "") throws {
        self.lab = lab
        self.host = host
        directory = lab.file(host.name)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("plugins.d"),
                                                withIntermediateDirectories: true)
        try write("lbd.yaml", """
            node:
              name: \(host.name)
            pluginsDirectory: plugins.d
            coalescingDelay: 10ms
            logLevel: debug

            """)
        try write("plugins.d/files.yaml", """
            plugin: file
            name: files
            files: [\(lab.file("policy.yaml").path)]
            stateFile: \(directory.appendingPathComponent("state/state.json").path)

            """)
        try write("plugins.d/layer2.yaml", """
            plugin: layer2
            name: lan
            heartbeat:
              keyFile: \(lab.file("heartbeat.key").path)
            statusFile: \(statusFile.path)

            """ + extra)
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Where lbd writes the node's layer2 status.
    var statusFile: URL { directory.appendingPathComponent("status.json") }

    /// Where lbd's output goes (every start, appended).
    var logFile: URL { directory.appendingPathComponent("lbd.log") }

    /// Starts `lbd run` in the node's namespace.
    func start() throws {
        let count = starts.withLock { $0 += 1; return $0 }
        let binary = try LBDBinary.required()
        try "--- start \(count)\n".appendLine(to: logFile)
        let started = try lab.spawn("lbd-\(host.name)-\(count)",
                                    [binary, "run", "--config", directory.appendingPathComponent("lbd.yaml").path],
                                    in: host, logFile: logFile)
        process.withLock { $0 = started }
    }

    /// The running (or last) lbd process.
    var current: LabProcess? { process.withLock { $0 } }

    /// True while lbd runs.
    var isRunning: Bool { current?.isRunning ?? false }

    /// Kills lbd with SIGKILL and waits until it is gone.
    func kill() async { await current?.stop(SIGKILL) }

    /// Sends SIGTERM and waits (bounded) for lbd to exit; returns its exit status.
    @discardableResult
    func terminate(within limit: Duration = .seconds(15)) async throws -> Int32 {
        guard let current else { throw LabError("lbd on \(host.name) was not started") }
        current.send(SIGTERM)
        return try await current.waitForExit(within: limit)
    }

    /// Throws, with lbd's log, when lbd has exited.
    func requireRunning() throws {
        guard let current else { throw LabError("lbd on \(host.name) was not started") }
        try current.requireRunning()
    }

    /// The status file as lbd last wrote it, or nil while there is none.
    func status() throws -> NodeStatus? {
        guard let data = FileManager.default.contents(atPath: statusFile.path) else { return nil }
        do {
            return try JSONDecoder().decode(NodeStatus.self, from: data)
        } catch {
            let text = String(decoding: data, as: UTF8.self)
            throw LabError("\(statusFile.path) is not a status file: \(error)\n\(text)")
        }
    }

    /// lbd's output so far (every start).
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}
