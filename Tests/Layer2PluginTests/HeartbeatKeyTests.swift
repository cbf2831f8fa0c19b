import Foundation
import Testing
@testable import Layer2Plugin

@Suite("Heartbeat key")
struct HeartbeatKeyTests {
    /// A file in a fresh temporary directory holding `contents`.
    private func file(_ contents: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "lbd-heartbeat-key-\(UUID().uuidString)"
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [
        ("0123456789abcdef", "0123456789abcdef"),
        ("0123456789abcdef\n", "0123456789abcdef"),
        ("0123456789abcdef\r\n", "0123456789abcdef"),
        ("0123456789abcdef\n\n", "0123456789abcdef\n"),
        (" 0123456789abcdef ", " 0123456789abcdef "),
    ])
    func aFileLosesOneTrailingNewline(contents: String, key: String) throws {
        let path = try file(Array(contents.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try HeartbeatKey.load(file: path).bytes == Array(key.utf8))
    }

    @Test func aShortFileNamesTheFile() throws {
        let path = try file(Array("fifteen octets.\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: HeartbeatKeyError.self) { try HeartbeatKey.load(file: path) }
        #expect(error?.code == .tooShort)
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("15 octets") == true)
    }

    @Test func aMissingFileNamesTheFile() {
        let error = #expect(throws: HeartbeatKeyError.self) { try HeartbeatKey.load(file: "/nonexistent/lbd.key") }
        #expect(error?.code == .unreadable)
        #expect(error?.description.contains("/nonexistent/lbd.key") == true)
    }

    @Test func binaryKeysWork() throws {
        let bytes = (0..<32).map { UInt8($0 * 7) }
        let path = try file(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try HeartbeatKey.load(file: path).bytes == bytes)
    }

    @Test func theDescriptionNeverShowsTheSecret() throws {
        let key = try HeartbeatKey("a very secret shared key")
        #expect(!"\(key)".contains("secret"))
        #expect("\(key)" == "HeartbeatKey(24 octets)")
    }
}
