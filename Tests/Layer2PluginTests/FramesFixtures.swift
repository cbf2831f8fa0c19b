import Foundation
import LBKernel
import Testing
@testable import Layer2Plugin

/// Helpers shared by the frame and responder tests: the captured fixtures (Fixtures/frames, made by capture.sh
/// there), hex text, and the addresses of the capture's two namespaces.
enum FramesFixtures {
    /// fra, the requesting side of the capture (arping and ndisc6 ran there).
    static let macA = MACAddress("02:99:00:00:00:0a")!
    /// frb, the answering side (its kernel replied).
    static let macB = MACAddress("02:99:00:00:00:0b")!
    static let ipA = IPv4Address("10.99.0.1")!
    static let ipB = IPv4Address("10.99.0.2")!
    static let v6A = IPv6Address("fd00:99::1")!
    static let v6B = IPv6Address("fd00:99::2")!
    static let v6DAD = IPv6Address("fd00:99::3")!
    /// fra's link-local address (EUI-64 of 02:99:00:00:00:0a): ndisc6's source.
    static let linkLocalA = IPv6Address("fe80::99:ff:fe00:a")!
    /// frb's link-local address: the source of its kernel's unicast probe.
    static let linkLocalB = IPv6Address("fe80::99:ff:fe00:b")!
    static let allNodes = IPv6Address("ff02::1")!

    /// Every fixture's name (without .hex), sorted.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".hex") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// The URL of Fixtures/frames inside the test bundle.
    static var folder: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent("frames")
    }

    /// The bytes of fixture `name`.
    static func bytes(_ name: String) throws -> [UInt8] {
        try hexBytes(String(contentsOf: folder.appendingPathComponent(name + ".hex"), encoding: .utf8))
    }

    /// The bytes of hex text; whitespace, `:` and everything after `#` on a line are ignored.
    static func hexBytes(_ hex: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for line in hex.split(separator: "\n", omittingEmptySubsequences: false) {
            for c in line.prefix(while: { $0 != "#" }) where !c.isWhitespace && c != ":" {
                let nibble = try #require(c.hexDigitValue, "not a hex digit: \(c)")
                if let h = high {
                    out.append(h << 4 | UInt8(nibble))
                    high = nil
                } else {
                    high = UInt8(nibble)
                }
            }
        }
        #expect(high == nil, "odd number of hex digits")
        return out
    }

    /// Lower-case hex, 16 octets a line.
    static func hex(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { start in
            bytes[start..<min(start + 16, bytes.count)].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
                .joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// `frame` decoded as Ethernet carrying ARP.
    static func arp(_ frame: [UInt8]) throws -> (EthernetFrame, ARPPacket) {
        let ethernet = try EthernetFrame(decoding: frame)
        #expect(ethernet.etherType == EthernetFrame.etherTypeARP)
        return (ethernet, try ARPPacket(decoding: ethernet.payload))
    }

    /// `frame` decoded as Ethernet carrying a neighbor discovery message.
    static func ndp(_ frame: [UInt8]) throws -> (EthernetFrame, NDPPacket) {
        let ethernet = try EthernetFrame(decoding: frame)
        #expect(ethernet.etherType == EthernetFrame.etherTypeIPv6)
        return (ethernet, try NDPPacket(decoding: ethernet.payload))
    }

    /// The error decoding `bytes` with `decode` throws, or nil when it decodes.
    static func error(_ decode: () throws(FrameDecodeError) -> Void) -> FrameDecodeError? {
        do {
            try decode()
            return nil
        } catch {
            return error
        }
    }

    /// `frame` with the ICMPv6 checksum recomputed (for a frame whose IPv6 header starts at `ipOffset`), so that a
    /// test can change a field and still reach the rule it tests.
    static func fixingChecksum(_ frame: [UInt8], ipOffset: Int = 14) -> [UInt8] {
        var frame = frame
        guard frame.count >= ipOffset + 40 + 4 else { return frame }
        let length = Int(frame.uint16(at: ipOffset + 4))
        guard frame.count >= ipOffset + 40 + length, length >= 4 else { return frame }
        let source = IPv6Address(frame.uint128(at: ipOffset + 8))
        let destination = IPv6Address(frame.uint128(at: ipOffset + 24))
        frame[ipOffset + 42] = 0
        frame[ipOffset + 43] = 0
        let message = Array(frame[(ipOffset + 40)..<(ipOffset + 40 + length)])
        let checksum = InternetChecksum.icmpv6(message: message, source: source, destination: destination)
        frame[ipOffset + 42] = UInt8(checksum >> 8)
        frame[ipOffset + 43] = UInt8(checksum & 0xFF)
        return frame
    }
}
