import ArgumentParser
import Foundation
import LBKernel
import Logging

/// The options every command that reads configuration takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The lbd configuration file.")
    var config: String = "/etc/lbd/lbd.yaml"

    @Option(name: .long, help: "The plugins directory (default: the configuration's pluginsDirectory, plugins.d beside it).")
    var plugins: String?

    @Option(name: .long, help: ArgumentHelp(
        "A policy file to apply as well: lbd's schema, a MetalLB ConfigMap or metallb.io resources. Repeatable.",
        valueName: "file"))
    var policy: [String] = []

    @Option(name: .long, help: "This node's name (default: the configuration's node.name, else the host name).")
    var node: String?
}

/// Everything read from the configuration before anything runs.
struct Setup {
    var configuration: LBDConfiguration
    var configurationPath: String
    var pluginsDirectory: String
    var staticPolicy: Policy
    var staticNodes: [Node]
    var plugins: [(file: PluginFile, instance: PluginInstance)]

    var sources: [any AddressSource] {
        plugins.compactMap { if case .source(let s) = $0.instance { s } else { nil } }
    }

    var announcers: [any Announcer] {
        plugins.compactMap { if case .announcer(let a) = $0.instance { a } else { nil } }
    }

    /// Reads lbd.yaml, the policy files and plugins.d; every problem is collected.
    static func load(_ options: ConfigOptions, logger: Logger) throws(ConfigError) -> Setup {
        var problems: [ConfigProblem] = []
        var configuration = try LBDConfiguration.load(path: options.config)
        if let node = options.node { configuration.node.name = node }
        let base = LBDConfiguration.directory(of: options.config)
        let pluginsDirectory = options.plugins
            ?? LBDConfiguration.resolve(configuration.pluginsDirectory, against: base)
        let policyPaths = configuration.policyFiles.map { LBDConfiguration.resolve($0, against: base) } + options.policy
        var staticPolicy = Policy.empty
        var staticNodes: [Node] = []
        if !policyPaths.isEmpty {
            do {
                let loaded = try PolicyFileLoader().load(paths: policyPaths)
                if !loaded.services.isEmpty {
                    problems.append(ConfigProblem(
                        .conflict, "policy files hold policy only; put services in a source's files (plugin: file)",
                        field: "services", location: SourceLocation(file: policyPaths.joined(separator: ", "))))
                }
                staticPolicy = loaded.policy
                staticNodes = loaded.nodes
            } catch {
                problems += error.problems
            }
        }
        let node = configuration.node
        let registry = BuiltInPlugins.registry()
        var plugins: [(file: PluginFile, instance: PluginInstance)] = []
        do {
            plugins = try registry.load(directory: pluginsDirectory) { file in
                var pluginLogger = logger
                pluginLogger[metadataKey: "plugin"] = "\(file.kind)/\(file.name)"
                return PluginContext(instanceName: file.name, logger: pluginLogger, node: node,
                                     baseDirectory: LBDConfiguration.directory(of: file.path))
            }
        } catch {
            problems += error.problems
        }
        if problems.isEmpty {
            if !plugins.contains(where: { if case .source = $0.instance { true } else { false } }) {
                problems.append(ConfigProblem(.missingKey, "no source plugin: add a file such as file.yaml with `plugin: file`",
                                              location: SourceLocation(file: pluginsDirectory)))
            }
            if !plugins.contains(where: { if case .announcer = $0.instance { true } else { false } }) {
                problems.append(ConfigProblem(.missingKey, "no announcer plugin: add a file such as log.yaml with `plugin: log`",
                                              location: SourceLocation(file: pluginsDirectory)))
            }
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return Setup(configuration: configuration, configurationPath: options.config,
                     pluginsDirectory: pluginsDirectory, staticPolicy: staticPolicy, staticNodes: staticNodes,
                     plugins: plugins)
    }

    /// The snapshots the sources would publish first, and the problems of those that cannot be previewed.
    func previewSnapshots() async -> (snapshots: [SourceSnapshot], problems: [ConfigProblem], notPreviewable: [String]) {
        var snapshots: [SourceSnapshot] = []
        var problems: [ConfigProblem] = []
        var notPreviewable: [String] = []
        for (file, instance) in plugins {
            guard case .source(let source) = instance else { continue }
            guard let previewable = source as? any PreviewableSource else {
                notPreviewable.append("\(file.kind)/\(file.name)")
                continue
            }
            do {
                snapshots.append(try await previewable.previewSnapshot())
            } catch let error as ConfigError {
                problems += error.problems
            } catch {
                problems.append(ConfigProblem(.io, "\(error)", object: "plugin \(file.name)",
                                              location: SourceLocation(file: file.path)))
            }
        }
        return (snapshots, problems, notPreviewable)
    }
}

/// Prints problems one per line on standard error and fails with exit status 1.
func fail(with error: ConfigError) -> ExitCode {
    for problem in error.problems { printError(problem.description) }
    return ExitCode(1)
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
