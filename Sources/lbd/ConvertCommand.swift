import ArgumentParser
import Foundation
import LBKernel

/// `lbd convert`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert MetalLB configuration to lbd's policy schema.",
        discussion: """
            Reads the legacy MetalLB ConfigMap (the whole manifest or just its `config` text) and metallb.io \
            resources (IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer v1beta1/v1beta2, Community, \
            BFDProfile), single or multi-document, validates them as MetalLB does (unknown keys are rejected) and \
            prints the equivalent lbd policy on standard output. When the configuration is invalid it prints one \
            line per problem on standard error and exits with status 1.

            Example: lbd convert --from metallb metallb-config.yaml > policy.yaml
            """)

    @Option(help: "The format to convert from. Only `metallb` is supported.")
    var from: Format

    @Argument(help: "The files to convert.")
    var files: [String]

    enum Format: String, ExpressibleByArgument {
        case metallb
    }

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one MetalLB file to convert") }
    }

    func run() throws {
        var documents: [YAMLNode] = []
        var problems: [ConfigProblem] = []
        for path in files {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let parsed = try YAMLNode.documents(in: text, file: path)
                for document in parsed where !MetalLBImporter.recognizes(document) {
                    problems.append(ConfigProblem(
                        .unsupportedDocument,
                        "not MetalLB configuration (expected a ConfigMap with data.config, a metallb.io resource, "
                            + "or a legacy config with address-pools/peers)",
                        location: document.location))
                }
                documents += parsed.filter(MetalLBImporter.recognizes)
            } catch let problem as ConfigProblem {
                problems.append(problem)
            } catch {
                problems.append(ConfigProblem(.io, "cannot read: \(error.localizedDescription)",
                                              location: SourceLocation(file: path)))
            }
        }
        if !problems.isEmpty { throw fail(with: ConfigError(problems)) }
        let policy: Policy
        do { policy = try MetalLBImporter.policy(from: documents) } catch { throw fail(with: error) }
        print("# lbd policy converted from MetalLB configuration: \(files.joined(separator: ", "))")
        print(policy.yamlText(), terminator: "")
    }
}
