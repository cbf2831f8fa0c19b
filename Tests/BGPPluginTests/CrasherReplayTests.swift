import Foundation
import NIOCore
import Testing
@testable import BGPPlugin

/// Replays every input the fuzzers (Fuzz/) ever crashed on, kept in Fixtures/crashers: decoding must return or
/// throw, never trap, with every option set; and what decodes must encode to bytes that decode to the same message.
/// These checks repeat Fuzz/Sources/WireFuzzing/WireFuzzCheck.swift (this package cannot depend on that one).
@Suite struct CrasherReplayTests {
    static let optionSets: [BGPCodecOptions] = [
        BGPCodecOptions(fourOctetAS: true, maxMessageSize: BGPCodecOptions.standardMaxMessageSize),
        BGPCodecOptions(fourOctetAS: false, maxMessageSize: BGPCodecOptions.standardMaxMessageSize),
        BGPCodecOptions(fourOctetAS: true, maxMessageSize: BGPCodecOptions.extendedMaxMessageSize),
        BGPCodecOptions(fourOctetAS: false, maxMessageSize: BGPCodecOptions.extendedMaxMessageSize),
    ]

    /// Every crasher file (any name but README.md).
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Wire.fixtures("crashers").path)) ?? []
        return files.filter { $0 != "README.md" && !$0.hasPrefix(".") }.sorted()
    }()

    @Test func theFolderIsThere() {
        #expect(FileManager.default.fileExists(atPath: Wire.fixtures("crashers").appendingPathComponent("README.md").path))
    }

    @Test(arguments: names)
    func replay(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Wire.fixtures("crashers").appendingPathComponent(name)))
        // As fuzz-decode: the whole input as a stream, with each option set.
        for options in CrasherReplayTests.optionSets {
            var buffer = ByteBuffer(bytes: bytes)
            _ = CrasherReplayTests.messages(in: &buffer, options: options)
        }
        // As fuzz-roundtrip: the first octet picks the option set, the rest is the stream.
        guard let first = bytes.first else { return }
        let options = CrasherReplayTests.optionSets[Int(first) % CrasherReplayTests.optionSets.count]
        var buffer = ByteBuffer(bytes: bytes.dropFirst())
        for message in CrasherReplayTests.messages(in: &buffer, options: options)
        where message.encodedLength(options: options) <= message.kind.maximumLength(options) {
            var encoded = ByteBuffer()
            message.encode(into: &encoded, options: options)
            #expect(encoded.readableBytes == message.encodedLength(options: options))
            #expect(try BGPMessage.decode(from: &encoded, options: options) == message)
        }
    }

    /// The messages decoded from `buffer` until it runs dry or an error resets the session.
    static func messages(in buffer: inout ByteBuffer, options: BGPCodecOptions) -> [BGPMessage] {
        var decoded: [BGPMessage] = []
        while true {
            do {
                guard let message = try BGPMessage.decode(from: &buffer, options: options) else { return decoded }
                decoded.append(message)
            } catch {
                if case .sendNotification = error.action { return decoded }
            }
        }
    }
}
