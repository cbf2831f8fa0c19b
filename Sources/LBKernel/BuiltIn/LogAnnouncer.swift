import Foundation
public import ServiceLifecycle
import Synchronization

/// An announcer that announces nothing on the network and prints every change of the desired set instead:
/// for dry runs, demos and debugging (`plugin: log`).
///
/// Each change is one line: `+ ns/name 10.0.0.1 pool=default layer2(candidates=a,b) bgp(10.0.0.1/32)` when a
/// service is added, `~` when it changes and `- ns/name` when it is withdrawn. On graceful shutdown it prints the
/// withdrawal of everything.
public final class LogAnnouncer: Announcer, Plugin {
    /// `plugin: log`.
    public static let kind = "log"

    /// The log announcer's configuration.
    public struct Configuration: Decodable, Sendable, Hashable {
        /// Where lines go: `stdout` (default) or `stderr`.
        public var output: Output
        /// Whether lines are prefixed with the instance name (default true).
        public var prefix: Bool

        /// The streams lines can go to.
        public enum Output: String, Decodable, Sendable, Hashable {
            /// Standard output.
            case stdout
            /// Standard error.
            case stderr
        }

        /// Creates a configuration.
        public init(output: Output = .stdout, prefix: Bool = true) {
            self.output = output
            self.prefix = prefix
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case output, prefix }

        /// Decodes the configuration; every key is optional.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            output = try c.decodeIfPresent(Output.self, forKey: .output) ?? .stdout
            prefix = try c.decodeIfPresent(Bool.self, forKey: .prefix) ?? true
        }
    }

    private let name: String
    private let configuration: Configuration
    private let sink: @Sendable (String) -> Void
    private let current = Mutex<DesiredSet?>(nil)

    /// Creates the announcer from its plugin file.
    public convenience init(configuration: Configuration, context: PluginContext) {
        let output = configuration.output
        self.init(name: context.instanceName, configuration: configuration) { line in
            let data = Data((line + "\n").utf8)
            (output == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(data)
        }
    }

    /// Creates the announcer with a custom line sink (for tests and embedding).
    public init(name: String, configuration: Configuration = Configuration(),
                sink: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.configuration = configuration
        self.sink = sink
    }

    /// Prints the difference between the current and the desired set, then makes `desired` current.
    public func apply(_ desired: DesiredSet) async throws {
        let previous = current.withLock { state in
            defer { state = desired }
            return state
        }
        for line in LogAnnouncer.changes(from: previous?.services ?? [:], to: desired.services) { emit(line) }
    }

    /// Waits for graceful shutdown, then withdraws everything.
    public func run() async throws {
        try? await gracefulShutdown()
        let node = current.withLock { $0?.node } ?? ""
        try await apply(.empty(node: node))
        emit("withdrawn everything (shutdown)")
    }

    private func emit(_ line: String) { sink(configuration.prefix ? "[\(name)] \(line)" : line) }

    /// The lines describing the change from `old` to `new`, sorted by service.
    public static func changes(from old: [ServiceID: ServiceAnnouncement], to new: [ServiceID: ServiceAnnouncement])
        -> [String] {
        var lines: [String] = []
        for id in Set(old.keys).union(new.keys).sorted() {
            switch (old[id], new[id]) {
            case (nil, let added?): lines.append("+ " + describe(added))
            case (let before?, let after?) where before != after: lines.append("~ " + describe(after))
            case (_?, nil): lines.append("- \(id)")
            default: break
            }
        }
        return lines
    }

    /// One service's announcement as text.
    public static func describe(_ a: ServiceAnnouncement) -> String {
        var text = "\(a.service) \(a.addresses.map(\.description).joined(separator: ",")) pool=\(a.pool)"
        if let l2 = a.layer2 {
            let interfaces = l2.interfaces.isEmpty ? "all" : l2.interfaces.joined(separator: ",")
            text += " layer2(candidates=\(l2.candidates.joined(separator: ",")) interfaces=\(interfaces))"
        }
        if !a.bgp.isEmpty {
            let routes = a.bgp.map { route in
                var r = "\(route.prefix)"
                if let lp = route.localPref { r += " localPref=\(lp)" }
                if !route.communities.isEmpty { r += " communities=\(route.communities.map(\.description).joined(separator: ","))" }
                if !route.peers.isEmpty { r += " peers=\(route.peers.joined(separator: ","))" }
                return r
            }
            text += " bgp(\(routes.joined(separator: "; ")))"
        }
        return text
    }
}
