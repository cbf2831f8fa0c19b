import Foundation
import Testing
@testable import LBKernel

/// docs/file-source.md, read from the repository.
private func fileSourceDocumentation() throws -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/file-source.md")
    return try String(contentsOf: url, encoding: .utf8)
}

/// The fenced blocks that follow a `<!-- check: KIND -->` line, with their kind and first line number.
private func checkedExamples(_ text: String) -> [(kind: String, line: Int, body: String)] {
    var examples: [(String, Int, String)] = []
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var index = 0
    while index < lines.count {
        let line = lines[index].trimmingCharacters(in: .whitespaces)
        if line.hasPrefix("<!-- check: "), line.hasSuffix(" -->") {
            let kind = String(line.dropFirst("<!-- check: ".count).dropLast(" -->".count))
            var start = index + 1
            while start < lines.count && !lines[start].hasPrefix("```") { start += 1 }
            var end = start + 1
            while end < lines.count && lines[end] != "```" { end += 1 }
            examples.append((kind, start + 2, lines[(start + 1)..<min(end, lines.count)].joined(separator: "\n")))
            index = end
        }
        index += 1
    }
    return examples
}

@Suite("File source documentation")
struct FileSourceDocumentationTests {
    @Test func everyExampleIsValid() throws {
        let examples = checkedExamples(try fileSourceDocumentation())
        #expect(examples.map(\.kind) == ["plugin", "document", "plugin", "document", "state"])
        for example in examples {
            let file = "docs/file-source.md:\(example.line)"
            switch example.kind {
            case "plugin":
                let plugin = try PluginFile(path: file, text: example.body)
                #expect(plugin.kind == FileSource.kind)
                _ = try StrictYAMLDecoder().decode(FileSource.Configuration.self, from: plugin.configuration)
            case "document":
                let loaded = try PolicyFileLoader().load(text: example.body, file: file)
                #expect(!loaded.services.isEmpty, "\(file)")
            case "state":
                let allocations = try StateFile.decode(Array(example.body.utf8), path: file)
                #expect(!allocations.isEmpty, "\(file)")
            default:
                Issue.record("\(file): unknown example kind '\(example.kind)'")
            }
        }
    }

    @Test func everyKeyIsDocumented() throws {
        let text = try fileSourceDocumentation()
        let keys = FileSource.Configuration.CodingKeys.allCaseNames + LBDDocument.CodingKeys.allCaseNames
            + ServiceEntry.CodingKeys.allCaseNames + Node.CodingKeys.allCaseNames
            + ["version", "allocations", "allocations.*.addresses", "allocations.*.pool", "checksum"]
        for key in keys {
            #expect(text.contains("| `\(key)` |"), "docs/file-source.md has no table row for `\(key)`")
        }
    }
}
