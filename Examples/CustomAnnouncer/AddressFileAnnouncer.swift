import Foundation
import LBKernel
import Logging
import ServiceLifecycle
import Synchronization

/// An announcer that writes this node's announced addresses to a file, one per line, for other tools to pick up
/// (a firewall script, a monitoring check). It is the complete example of docs/writing-a-plugin.md.
///
/// The rules every announcer follows: `apply` gets the complete desired set (never a delta) and must be
/// idempotent; an empty set withdraws everything; on graceful shutdown `run()` withdraws and returns.
final class AddressFileAnnouncer: Announcer, Plugin {
    /// The value of `plugin:` in a plugins.d file.
    static let kind = "address-file"

    /// The keys of the plugin file besides `plugin:` and `name:`; decoded strictly (unknown keys are errors).
    struct Configuration: Decodable, Sendable {
        /// The file to write; relative paths are relative to the plugin file.
        var path: String

        enum CodingKeys: String, CodingKey, CaseIterable { case path }
    }

    private let path: String
    private let logger: Logger
    private let written = Mutex<[IPAddress]?>(nil)

    /// Builds the announcer; no work starts here (no `Task {}` in an init).
    init(configuration: Configuration, context: PluginContext) throws {
        guard !configuration.path.isEmpty else {
            throw ConfigProblem(.invalidValue, "path must name a file", field: "path")
        }
        path = context.resolve(configuration.path)
        logger = context.logger
    }

    /// Writes the addresses of `desired`, sorted, when they differ from what the file holds.
    func apply(_ desired: DesiredSet) async throws {
        let addresses = Set(desired.services.values.flatMap(\.addresses)).sorted()
        guard written.withLock({ $0 }) != addresses else { return }  // idempotent: nothing to do
        let text = addresses.map { "\($0)\n" }.joined()
        // Atomic replace: readers never see half a file.
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        written.withLock { $0 = addresses }
        logger.info("wrote \(addresses.count) address(es) to \(path)")
    }

    /// Waits for graceful shutdown, then withdraws everything.
    func run() async throws {
        try? await gracefulShutdown()
        try await apply(.empty(node: ""))
    }
}
