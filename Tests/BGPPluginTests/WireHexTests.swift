import Foundation
import NIOCore
import Testing
@testable import BGPPlugin

/// Helpers shared by the wire tests: hex text to bytes, encoding and decoding whole messages, fixture files.
enum Wire {
    /// The bytes of hex text; whitespace, `:` and everything after `#` on a line are ignored.
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for line in hex.split(separator: "\n", omittingEmptySubsequences: false) {
            for c in line.prefix(while: { $0 != "#" }).utf8 {
                let nibble: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
                default: continue
                }
                if let h = high {
                    out.append(h << 4 | nibble)
                    high = nil
                } else {
                    high = nibble
                }
            }
        }
        precondition(high == nil, "odd number of hex digits")
        return out
    }

    /// Lower-case hex of `bytes`, no separators.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// The bytes of `message` encoded with `options`.
    static func encode(_ message: BGPMessage, _ options: BGPCodecOptions = BGPCodecOptions()) -> [UInt8] {
        var buffer = ByteBuffer()
        message.encode(into: &buffer, options: options)
        return Array(buffer.readableBytesView)
    }

    /// Decodes exactly one message from `bytes`, expecting it to take all of them.
    static func decode(_ bytes: [UInt8], _ options: BGPCodecOptions = BGPCodecOptions()) throws(BGPDecodeError)
        -> BGPMessage? {
        var buffer = ByteBuffer(bytes: bytes)
        let message = try BGPMessage.decode(from: &buffer, options: options)
        if message != nil { precondition(buffer.readableBytes == 0, "\(buffer.readableBytes) octets left over") }
        return message
    }

    /// The error decoding `bytes` throws, or nil when it decodes.
    static func error(_ bytes: [UInt8], _ options: BGPCodecOptions = BGPCodecOptions()) -> BGPDecodeError? {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            _ = try BGPMessage.decode(from: &buffer, options: options)
            return nil
        } catch {
            return error
        }
    }

    /// A message of `type` with `body`, header included.
    static func message(type: UInt8, _ body: [UInt8]) -> [UInt8] {
        let length = 19 + body.count
        return Array(repeating: 0xFF, count: 16) + [UInt8(length >> 8), UInt8(length & 0xFF), type] + body
    }

    /// An UPDATE with these fields (lengths computed).
    static func update(withdrawn: [UInt8] = [], attributes: [UInt8] = [], nlri: [UInt8] = []) -> [UInt8] {
        message(type: 2, [UInt8(withdrawn.count >> 8), UInt8(withdrawn.count & 0xFF)] + withdrawn
                + [UInt8(attributes.count >> 8), UInt8(attributes.count & 0xFF)] + attributes + nlri)
    }

    /// The URL of a fixture folder inside the test bundle.
    static func fixtures(_ folder: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(folder)
    }

    /// The bytes of the hex fixture file `name` in Fixtures/wire.
    static func fixture(_ name: String) throws -> [UInt8] {
        bytes(try String(contentsOf: fixtures("wire").appendingPathComponent(name), encoding: .utf8))
    }
}

@Suite struct WireHexTests {
    @Test func hexParsingIgnoresCommentsAndSeparators() {
        #expect(Wire.bytes("# a comment ff\nff 0a:0B # trailing 12\n") == [0xFF, 0x0A, 0x0B])
        #expect(Wire.hex([0x00, 0xAB, 0x10]) == "00ab10")
    }
}
