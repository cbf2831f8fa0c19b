import Foundation
import Testing
@testable import LBKernel

@Suite("State file")
struct StateFileTests {
    static let allocations: [ServiceID: Allocation] = [
        ServiceID("default/web"): Allocation(addresses: [IPAddress("192.0.2.1")!], pool: "default"),
        ServiceID("infra/dns"): Allocation(addresses: [IPAddress("198.51.100.10")!, IPAddress("2001:db8::a")!],
                                           pool: "reserved"),
    ]

    @Test func roundTrips() throws {
        let directory = try FileSourceTestDirectory()
        let file = StateFile(path: directory.file("state.json"))
        #expect(try file.read() == nil, "a missing state file is a first run")
        try file.write(Self.allocations)
        #expect(try file.read() == Self.allocations)
        try file.write([:])
        #expect(try file.read() == [:])
    }

    @Test func namesNeedingEscapesRoundTrip() throws {
        let directory = try FileSourceTestDirectory()
        let file = StateFile(path: directory.file("state.json"))
        let odd: [ServiceID: Allocation] = [
            ServiceID(namespace: "q\"uote", name: "back\\slash\tand\u{1}é"):
                Allocation(addresses: [IPAddress("2001:db8::1")!], pool: "p\"ool"),
        ]
        try file.write(odd)
        #expect(try file.read() == odd)
    }

    @Test func readsTheVersion1Fixture() throws {
        let bytes = Array(try fileSourceFixture("state-v1.json").utf8)
        #expect(try StateFile.decode(bytes, path: "state-v1.json") == Self.allocations)
    }

    @Test func theFormatIsStable() throws {
        let text = String(decoding: StateFile.encode(Self.allocations), as: UTF8.self)
        #expect(text == """
            {
              "version": 1,
              "allocations": {
                "default/web":{"addresses":["192.0.2.1"],"pool":"default"},
                "infra/dns":{"addresses":["198.51.100.10","2001:db8::a"],"pool":"reserved"}
              },
              "checksum": "fnv1a64:52fa390a70ad79d1"
            }

            """)
        #expect(StateFile.checksum(of: "") == "fnv1a64:cbf29ce484222325")
        #expect(StateFile.checksum(of: "a") == "fnv1a64:af63dc4c8601ec8c")
    }

    @Test func writesAtomicallyThroughARename() throws {
        let directory = try FileSourceTestDirectory()
        let file = StateFile(path: directory.file("state.json"))
        try file.write(Self.allocations)
        let first = FileStatus(path: file.path).inode
        try file.write([ServiceID("default/web"): Self.allocations[ServiceID("default/web")]!])
        #expect(FileStatus(path: file.path).inode != first, "a new file is renamed into place, never rewritten")
        #expect(try directory.names() == ["state.json"], "no temporary file is left behind")
    }

    @Test func aLeftoverTemporaryFileDoesNotMatter() throws {
        let directory = try FileSourceTestDirectory()
        let file = StateFile(path: directory.file("state.json"))
        try file.write(Self.allocations)
        // A crash between writing the temporary file and renaming it leaves this behind.
        try directory.write(".state.json.4242.1.tmp", String(decoding: StateFile.encode([:]).prefix(10), as: UTF8.self))
        #expect(try file.read() == Self.allocations)
        try file.write([:])
        #expect(try file.read() == [:])
    }

    @Test func createsMissingDirectories() throws {
        let directory = try FileSourceTestDirectory()
        let file = StateFile(path: directory.file("var/lib/lbd/state.json"))
        try file.write(Self.allocations)
        #expect(try file.read() == Self.allocations)
    }

    @Test func aWriteThatFailsLeavesThePreviousFile() throws {
        let directory = try FileSourceTestDirectory()
        let file = StateFile(path: directory.file("state.json"))
        try file.write(Self.allocations)
        // A directory in the way of the rename makes the write fail after the temporary file was written.
        let blocked = StateFile(path: directory.file("blocked"))
        try FileManager.default.createDirectory(atPath: directory.file("blocked/inside"), withIntermediateDirectories: true)
        let error = #expect(throws: StateFileError.self) { try blocked.write(Self.allocations) }
        #expect(error?.code == .io)
        #expect(error?.description.contains(directory.file("blocked")) == true)
        #expect(try directory.names() == ["blocked", "state.json"], "the temporary file is removed")
        #expect(try file.read() == Self.allocations)
    }

    static let valid = Array(String(decoding: StateFile.encode(allocations), as: UTF8.self).utf8)

    static func replacing(_ old: String, with new: String) -> [UInt8] {
        Array(String(decoding: valid, as: UTF8.self).replacingOccurrences(of: old, with: new).utf8)
    }

    @Test(arguments: [
        ("empty", [], StateFileError.Code.truncated, "is empty (0 bytes)"),
        ("white space", Array("\n\n".utf8), .truncated, "holds only white space"),
        ("cut in the middle", Array(valid.prefix(valid.count / 2)), .truncated, "is cut short"),
        ("cut before the checksum", Array(valid.prefix(valid.count - 45)), .truncated, "is cut short"),
        ("zero bytes", [UInt8](repeating: 0, count: 64), .notJSON, "begins with the bytes 00 00 00"),
        ("garbage", Array("PK\u{3}\u{4} binary".utf8), .notJSON, "is not JSON"),
        ("broken JSON", Array("{\"version\": 1,, }".utf8), .notJSON, "is not JSON"),
        ("changed address", replacing("192.0.2.1\"", with: "192.0.2.9\""), .checksumMismatch,
         "is corrupted: its checksum is fnv1a64:52fa390a70ad79d1 but its content sums to"),
        ("changed pool", replacing("\"reserved\"", with: "\"default\""), .checksumMismatch, "is corrupted"),
        ("dropped entry", replacing("\"default/web\":{\"addresses\":[\"192.0.2.1\"],\"pool\":\"default\"},", with: ""),
         .checksumMismatch, "is corrupted"),
        ("no checksum", Array("{\"version\": 1, \"allocations\": {}}".utf8), .invalidContent,
         "the key 'checksum' is missing"),
        ("wrong type", Array("{\"version\": 1, \"allocations\": [], \"checksum\": \"x\"}".utf8), .invalidContent,
         "'allocations' has the wrong type"),
        ("newer version", replacing("\"version\": 1", with: "\"version\": 2"), .unsupportedVersion,
         "has format version 2"),
    ] as [(String, [UInt8], StateFileError.Code, String)])
    func damagedFilesAreDetected(name: String, bytes: [UInt8], code: StateFileError.Code, message: String) throws {
        let error = #expect(throws: StateFileError.self, "\(name)") { try StateFile.decode(bytes, path: "/x/state.json") }
        #expect(error?.code == code, "\(name): \(error?.description ?? "")")
        #expect(error?.message.contains(message) == true, "\(name): \(error?.description ?? "")")
        #expect(error?.description.hasPrefix("state file /x/state.json ") == true)
        #expect(error?.description.contains("fix it, or move it away") == true)
    }

    @Test func invalidEntriesWithAGoodChecksumAreRejected() throws {
        var text = "{\"version\":1,\"allocations\":{"
        text += "\"no-slash\":{\"addresses\":[\"192.0.2.1\"],\"pool\":\"p\"},"
        text += "\"ns/bad\":{\"addresses\":[\"not-an-ip\"],\"pool\":\"p\"}},"
        let payload = "{\"no-slash\":{\"addresses\":[\"192.0.2.1\"],\"pool\":\"p\"},"
            + "\"ns/bad\":{\"addresses\":[\"not-an-ip\"],\"pool\":\"p\"}}"
        text += "\"checksum\":\"\(StateFile.checksum(of: payload))\"}"
        let error = #expect(throws: StateFileError.self) { try StateFile.decode(Array(text.utf8), path: "s.json") }
        #expect(error?.code == .invalidContent)
        #expect(error?.message.contains("no-slash, ns/bad") == true)
    }

    @Test func unreadableFilesAreIOErrors() throws {
        let directory = try FileSourceTestDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("state.json"), withIntermediateDirectories: false)
        let error = #expect(throws: StateFileError.self) { try StateFile(path: directory.file("state.json")).read() }
        #expect(error?.code == .io)
        #expect(error?.message.contains("cannot be read") == true)
    }
}
