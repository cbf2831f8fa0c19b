import Logging
import LBKernelTestKit
import Testing
@testable import LBKernel

/// Decodes a file source configuration from YAML text as `plugins.d/file.yaml` would hold it.
private func decodeConfiguration(_ text: String) throws(ConfigError) -> FileSource.Configuration {
    try PluginConfigurationText.decode(FileSource.Configuration.self, from: text, file: "file.yaml")
}

@Suite("File source configuration")
struct FileSourceConfigurationTests {
    @Test func defaults() throws {
        let configuration = try decodeConfiguration("files: [services.yaml]")
        #expect(configuration == FileSource.Configuration(files: ["services.yaml"]))
        #expect(configuration.pollInterval == GoDuration(seconds: 2))
        #expect(configuration.watch == .auto)
        #expect(configuration.stateFilePath(instanceName: "hosts") == "/var/lib/lbd/hosts.state.json")
        #expect(configuration.stateFilePath(instanceName: "a/b") == "/var/lib/lbd/a_b.state.json")
    }

    @Test func everyKey() throws {
        let configuration = try decodeConfiguration("""
            files: [a.yaml, /etc/lbd/b.yaml]
            stateFile: state/hosts.json
            pollInterval: 500ms
            watch: poll
            """)
        #expect(configuration == FileSource.Configuration(files: ["a.yaml", "/etc/lbd/b.yaml"],
                                                          stateFile: "state/hosts.json",
                                                          pollInterval: GoDuration(nanoseconds: 500_000_000),
                                                          watch: .poll))
    }

    @Test func relativePathsResolveAgainstThePluginFile() {
        let context = PluginContext(instanceName: "hosts", logger: .init(label: "test"), node: Node(name: "a"),
                                    baseDirectory: "/etc/lbd/plugins.d")
        let source = FileSource(configuration: .init(files: ["../services.yaml", "/abs.yaml"],
                                                     stateFile: "state.json"),
                                context: context)
        #expect(source.files == ["/etc/lbd/services.yaml", "/abs.yaml"])
        #expect(source.stateFile.path == "/etc/lbd/plugins.d/state.json")
        #expect(FileSource.kind == "file")
    }

    @Test(arguments: [
        ("files: [a.yaml]\nstatefile: x", 2, "unknown key 'statefile' (allowed here: files, stateFile, pollInterval, watch)"),
        ("stateFile: x", 1, "required key 'files' is missing"),
        ("files: []", 1, "name at least one file"),
        ("files: [a.yaml, a.yaml]", 1, "'a.yaml' is listed twice"),
        ("files: [a.yaml]\npollInterval: 1ms", 2, "at least 10ms"),
        ("files: [a.yaml]\npollInterval: soon", 2, "is not a duration"),
        ("files: [a.yaml]\nstateFile: ''", 2, "must not be empty"),
        ("files: [a.yaml]\nwatch: sometimes", 2, "sometimes"),
    ])
    func invalidConfigurations(text: String, line: Int, message: String) {
        do {
            _ = try decodeConfiguration(text)
            Issue.record("accepted: \(text)")
        } catch {
            let problem = error.problems.first
            #expect(problem?.message.contains(message) == true, "\(error)")
            #expect(problem?.location?.file == "file.yaml")
            #expect(problem?.location?.line == line, "\(error)")
        }
    }
}
