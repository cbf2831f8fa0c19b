import Foundation
import Testing
@testable import Layer2Plugin

/// Replays every frame input that ever trapped or was answered wrongly (Fixtures/crashers/frame-*.hex, hex text
/// with a comment line saying where it came from) on every interface of the fuzz test, as it is and with its
/// checksum fixed. None has been found so far (3 million inputs of seeds 1-3 and the default seed); the folder may
/// hold none.
@Suite struct FrameFuzzCrasherTests {
    static var folder: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent("crashers")
    }

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasPrefix("frame-") && $0.hasSuffix(".hex") }.sorted()
    }()

    @Test func replayEveryCrasher() throws {
        for name in Self.names {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
            let frame = try FramesFixtures.hexBytes(text)
            #expect(text.hasPrefix("#"), "\(name) says where it came from")
            for interface in FrameFuzzCheck.interfaces {
                FrameFuzzCheck.check(frame, on: interface)
                FrameFuzzCheck.check(FrameFuzzTests.fixingChecksum(frame), on: interface)
            }
        }
    }
}
