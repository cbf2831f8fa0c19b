import Foundation
import LBKernel
import LBKernelTestKit
import Logging

/// Runs `AnnouncerConformance` against `AddressFileAnnouncer`, reading back the file it writes.
enum ConformanceRun {
    /// Returns true when the announcer conforms; prints every broken rule otherwise.
    static func run() async throws -> Bool {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("address-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("addresses.txt").path
        let announcer = try AddressFileAnnouncer(
            configuration: .init(path: "addresses.txt"),
            context: PluginContext(instanceName: "addresses", logger: Logger(label: "conformance"),
                                   node: Node(name: "node-a"), baseDirectory: directory.path))
        let failures = try await AnnouncerConformance().run(announcer) {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return Set(text.split(separator: "\n").compactMap { IPAddress(String($0)) })
        }
        for failure in failures { print("conformance failure: \(failure)") }
        print(failures.isEmpty ? "AddressFileAnnouncer conforms" : "AddressFileAnnouncer does not conform")
        return failures.isEmpty
    }
}
