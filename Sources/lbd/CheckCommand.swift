import ArgumentParser
import LBKernel
import Logging

/// `lbd check`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration, the plugin files and every policy and service file they name.",
        discussion: """
            Prints one line per problem, as `file:line:column: object: field: message`, and exits with status 1 \
            when there is any; prints a summary and exits with status 0 when everything is valid. Nothing is \
            started and no state is written.
            """)

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let setup: Setup
        do { setup = try Setup.load(options, logger: Logger(label: "lbd.check")) } catch { throw fail(with: error) }
        let preview = await setup.previewSnapshots()
        let inputs = MergedInputs(staticPolicy: setup.staticPolicy, staticNodes: setup.staticNodes,
                                  snapshots: preview.snapshots, node: setup.configuration.node)
        var problems = preview.problems
        if problems.isEmpty { problems += inputs.policy.validate() }
        problems += inputs.duplicateServices.map {
            ConfigProblem(.duplicate, "service \($0) is published by two sources", object: "service \"\($0)\"")
        }
        if !problems.isEmpty { throw fail(with: ConfigError(problems)) }
        for name in preview.notPreviewable { print("note: source \(name) cannot be checked offline") }
        let policy = inputs.policy
        print("ok: \(setup.plugins.count) plugin(s), \(policy.pools.count) pool(s), "
              + "\(policy.layer2Advertisements.count) Layer 2 and \(policy.bgpAdvertisements.count) BGP advertisement(s), "
              + "\(policy.bgpPeers.count) BGP peer(s), \(inputs.services.count) service(s)")
    }
}
