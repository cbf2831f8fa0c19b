import ArgumentParser
import Foundation
import LBKernel
import Logging

/// `lbd plan`.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what would be allocated, and which node would announce what and why not elsewhere.",
        discussion: """
            Reads the configuration and the sources' current inputs (and recorded allocations, so the plan \
            matches what `lbd run` would do), runs the allocator and the announcement rules, and prints a table \
            or, with --json, a JSON document. Nothing is started and no state is written. Exit status 1 when the \
            configuration is invalid.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let setup: Setup
        do { setup = try Setup.load(options, logger: Logger(label: "lbd.plan")) } catch { throw fail(with: error) }
        let preview = await setup.previewSnapshots()
        if !preview.problems.isEmpty { throw fail(with: ConfigError(preview.problems)) }
        let inputs = MergedInputs(staticPolicy: setup.staticPolicy, staticNodes: setup.staticNodes,
                                  snapshots: preview.snapshots, node: setup.configuration.node)
        let problems = inputs.policy.validate()
        if !problems.isEmpty { throw fail(with: ConfigError(problems)) }
        var allocator = PoolAllocator()
        let outcome = allocator.reconcile(policy: inputs.policy, services: inputs.services, recorded: inputs.recorded)
        let plan = Reconciler.plan(policy: inputs.policy, services: inputs.services, nodes: inputs.nodes,
                                   allocations: outcome.allocations)
        let output = PlanOutput(outcome: outcome, plan: plan, services: inputs.services)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print(output.table(), terminator: "")
        }
        for name in preview.notPreviewable { printError("note: source \(name) cannot be previewed offline") }
    }
}

/// The plan as printed by `lbd plan`.
struct PlanOutput: Encodable {
    struct ServiceEntry: Encodable {
        var service: String
        var addresses: [String]
        var pool: String?
        var failure: String?
        var failureCode: String?
        var nodes: [NodeEntry]
    }

    struct NodeEntry: Encodable {
        var node: String
        var layer2: String
        var layer2Reason: String?
        var layer2Interfaces: [String]?
        var bgp: String
        var bgpReason: String?
        var routes: [String]?
    }

    var services: [ServiceEntry]

    init(outcome: AllocationOutcome, plan: AnnouncementPlan, services: [Service]) {
        self.services = services.map(\.id).sorted().map { id in
            let allocation = outcome.allocations[id]
            let decisions = plan.decisions[id] ?? [:]
            let nodes = plan.nodes.map { node -> NodeEntry in
                let decision = decisions[node] ?? NodeDecision(layer2: .skip(.notAllocated), bgp: .skip(.notAllocated))
                let announcement = plan.desiredSet(for: node).services[id]
                func state(_ d: AnnouncementDecision) -> (String, String?) {
                    switch d {
                    case .announce: ("announce", nil)
                    case .skip(let reason): ("skip", reason.rawValue)
                    }
                }
                let (l2, l2Reason) = state(decision.layer2)
                let (bgp, bgpReason) = state(decision.bgp)
                return NodeEntry(
                    node: node, layer2: l2 == "announce" ? "candidate" : l2, layer2Reason: l2Reason,
                    layer2Interfaces: announcement?.layer2.map { $0.interfaces.isEmpty ? ["all"] : $0.interfaces },
                    bgp: bgp, bgpReason: bgpReason,
                    routes: announcement.map { $0.bgp.map(PlanOutput.describe) }.flatMap { $0.isEmpty ? nil : $0 })
            }
            return ServiceEntry(service: id.description, addresses: allocation?.addresses.map(\.description) ?? [],
                                pool: allocation?.pool, failure: outcome.failures[id]?.message,
                                failureCode: outcome.failures[id]?.code.rawValue, nodes: nodes)
        }
    }

    static func describe(_ route: BGPRoute) -> String {
        var text = route.prefix.description
        if let lp = route.localPref { text += " localPref \(lp)" }
        if !route.communities.isEmpty { text += " communities \(route.communities.map(\.description).joined(separator: ","))" }
        text += route.peers.isEmpty ? " to all peers" : " to \(route.peers.joined(separator: ","))"
        return text
    }

    /// The human-readable table.
    func table() -> String {
        var lines: [String] = []
        for entry in services {
            if let failure = entry.failure {
                lines.append("\(entry.service)  pending: \(failure)")
                continue
            }
            lines.append("\(entry.service)  \(entry.addresses.joined(separator: ", "))  pool \(entry.pool ?? "-")")
            let width = entry.nodes.map(\.node.count).max() ?? 0
            for node in entry.nodes {
                let name = node.node.padding(toLength: width, withPad: " ", startingAt: 0)
                var l2 = "layer2: " + (node.layer2Reason.map { "no (\(NotAnnouncedReason(rawValue: $0)?.description ?? $0))" } ?? "candidate")
                if let interfaces = node.layer2Interfaces { l2 += " on \(interfaces.joined(separator: ","))" }
                let bgp = "bgp: " + (node.bgpReason.map { "no (\(NotAnnouncedReason(rawValue: $0)?.description ?? $0))" }
                    ?? (node.routes ?? []).joined(separator: "; "))
                lines.append("  \(name)  \(l2)  |  \(bgp)")
            }
        }
        if lines.isEmpty { lines.append("no services") }
        return lines.joined(separator: "\n") + "\n"
    }
}
