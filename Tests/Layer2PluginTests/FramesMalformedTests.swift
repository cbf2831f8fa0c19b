import LBKernel
import Testing
@testable import Layer2Plugin

/// Malformed, truncated and oversized frames: each throws the exact error that names what broke.
///
/// Offsets: ARP fixtures are Ethernet (0-13) + ARP (htype 14, ptype 16, hlen 18, plen 19, op 20, sha 22, spa 28,
/// tha 32, tpa 38). `ns-ndisc6` is Ethernet (0-13) + IPv6 (version 14, payload length 18, next header 20, hop limit
/// 21, source 22, destination 38) + ICMPv6 (type 54, code 55, checksum 56, reserved/flags 58, target 62, SLLA option
/// 78: type 78, length 79, MAC 80-85); 86 octets.
@Suite struct FramesMalformedTests {
    typealias F = FramesFixtures

    /// A fixture, a change to it and the error decoding the result must throw.
    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var fixture: String
        /// Recompute the ICMPv6 checksum after the change, so that the rule under test is the one that fails.
        var fixChecksum = false
        var change: @Sendable (inout [UInt8]) -> Void
        var error: FrameDecodeError
    }

    static func ipv6(_ text: String) -> [UInt8] { IPv6Address(text)!.bytes }

    static let cases: [Case] = [
        Case(description: "empty frame", fixture: "arp-request-arping", change: { $0 = [] },
             error: .truncated(what: "Ethernet header", needed: 14, available: 0)),
        Case(description: "13 octets", fixture: "arp-request-arping", change: { $0.removeLast($0.count - 13) },
             error: .truncated(what: "Ethernet header", needed: 14, available: 13)),
        Case(description: "VLAN tag cut short", fixture: "arp-request-vlan10", change: { $0.removeLast($0.count - 16) },
             error: .truncated(what: "VLAN tag at offset 12", needed: 6, available: 4)),
        Case(description: "three VLAN tags", fixture: "arp-request-qinq",
             change: { $0.insert(contentsOf: [0x81, 0x00, 0x00, 0x05], at: 20) }, error: .tooManyVLANTags),
        Case(description: "ARP header cut short", fixture: "arp-request-arping", change: { $0.removeLast($0.count - 19) },
             error: .truncated(what: "ARP header", needed: 8, available: 5)),
        Case(description: "truncated ARP", fixture: "arp-request-arping", change: { $0.removeLast(8) },
             error: .truncated(what: "ARP packet", needed: 28, available: 20)),
        Case(description: "ARP hlen 8", fixture: "arp-request-arping", change: { $0[18] = 8 },
             error: .unsupportedARPFormat(hardwareType: 1, protocolType: 0x800, hardwareLength: 8, protocolLength: 4)),
        Case(description: "ARP plen 16", fixture: "arp-request-arping", change: { $0[19] = 16 },
             error: .unsupportedARPFormat(hardwareType: 1, protocolType: 0x800, hardwareLength: 6, protocolLength: 16)),
        Case(description: "ARP hardware type 6", fixture: "arp-request-arping", change: { $0[15] = 6 },
             error: .unsupportedARPFormat(hardwareType: 6, protocolType: 0x800, hardwareLength: 6, protocolLength: 4)),
        Case(description: "ARP protocol type IPv6", fixture: "arp-request-arping", change: { $0[16] = 0x86; $0[17] = 0xDD },
             error: .unsupportedARPFormat(hardwareType: 1, protocolType: 0x86DD, hardwareLength: 6, protocolLength: 4)),
        Case(description: "ARP wrong hlen on a truncated packet", fixture: "arp-request-arping",
             change: { $0[18] = 0; $0.removeLast(20) },
             error: .unsupportedARPFormat(hardwareType: 1, protocolType: 0x800, hardwareLength: 0, protocolLength: 4)),
        Case(description: "ARP operation 3 (RARP)", fixture: "arp-request-arping", change: { $0[21] = 3 },
             error: .unknownARPOperation(3)),
        Case(description: "ARP operation 0", fixture: "arp-reply-kernel", change: { $0[21] = 0 },
             error: .unknownARPOperation(0)),
        Case(description: "IPv6 header cut short", fixture: "ns-ndisc6", change: { $0.removeLast($0.count - 53) },
             error: .truncated(what: "IPv6 header", needed: 40, available: 39)),
        Case(description: "IPv4 in an IPv6 EtherType", fixture: "ns-ndisc6", change: { $0[14] = 0x45 },
             error: .notIPv6(version: 4)),
        Case(description: "payload length beyond the frame", fixture: "ns-ndisc6", change: { $0[18] = 1; $0[19] = 0 },
             error: .payloadLengthBeyondFrame(payloadLength: 256, available: 32)),
        Case(description: "payload length 65535", fixture: "ns-ndisc6", change: { $0[18] = 0xFF; $0[19] = 0xFF },
             error: .payloadLengthBeyondFrame(payloadLength: 65535, available: 32)),
        Case(description: "truncated NS", fixture: "ns-ndisc6", change: { $0.removeLast(8) },
             error: .payloadLengthBeyondFrame(payloadLength: 32, available: 24)),
        Case(description: "multicast IPv6 source", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(22..<38, with: ipv6("ff02::1")) },
             error: .multicastSource(IPv6Address("ff02::1")!)),
        Case(description: "hop-by-hop extension header", fixture: "ns-ndisc6", change: { $0[20] = 0 },
             error: .unsupportedNextHeader(0)),
        Case(description: "UDP", fixture: "ns-ndisc6", change: { $0[20] = 17 }, error: .unsupportedNextHeader(17)),
        Case(description: "ICMPv6 header cut short", fixture: "ns-ndisc6", change: { $0[19] = 2 },
             error: .truncated(what: "ICMPv6 header", needed: 4, available: 2)),
        Case(description: "echo request", fixture: "ns-ndisc6", change: { $0[54] = 128 },
             error: .unsupportedICMPv6Type(128)),
        Case(description: "router solicitation", fixture: "ns-ndisc6", change: { $0[54] = 133 },
             error: .unsupportedICMPv6Type(133)),
        Case(description: "bad ICMPv6 checksum", fixture: "ns-ndisc6", change: { $0[57] ^= 0x01 },
             error: .badChecksum(found: 0x7B3B, expected: 0x7B3A)),
        Case(description: "bad checksum after a changed target", fixture: "ns-ndisc6", change: { $0[77] = 3 },
             error: .badChecksum(found: 0x7B3A, expected: 0x7B39)),
        Case(description: "ICMPv6 code 1", fixture: "ns-ndisc6", fixChecksum: true, change: { $0[55] = 1 },
             error: .nonzeroCode(1)),
        Case(description: "NS of 20 octets", fixture: "ns-ndisc6", fixChecksum: true, change: { $0[19] = 20 },
             error: .messageTooShort(length: 20)),
        Case(description: "multicast target", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(62..<78, with: ipv6("ff02::1")) },
             error: .multicastTarget(IPv6Address("ff02::1")!)),
        Case(description: "option length 0", fixture: "ns-ndisc6", fixChecksum: true, change: { $0[79] = 0 },
             error: .zeroLengthOption(offset: 24)),
        Case(description: "option longer than the message", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0[79] = 2 }, error: .truncated(what: "option 1 at offset 24", needed: 16, available: 8)),
        Case(description: "option header cut short", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0[19] = 33; $0.append(14) },
             error: .truncated(what: "option header at offset 32", needed: 2, available: 1)),
        Case(description: "SLLA of 16 octets", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0[19] = 40; $0[79] = 2; $0 += [0, 0, 0, 0, 0, 0, 0, 0] },
             error: .badLinkLayerOptionLength(type: 1, length: 2)),
        Case(description: "NS from :: with SLLA", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(22..<38, with: ipv6("::")) }, error: .unspecifiedSourceWithLinkLayerOption),
        Case(description: "NS from :: to all-nodes", fixture: "ns-dad-kernel", fixChecksum: true,
             change: { $0.replaceSubrange(38..<54, with: ipv6("ff02::1")) },
             error: .unspecifiedSourceNotToSolicitedNode(destination: IPv6Address("ff02::1")!)),
        Case(description: "NS from :: to the target", fixture: "ns-dad-kernel", fixChecksum: true,
             change: { $0.replaceSubrange(38..<54, with: ipv6("fd00:99::3")) },
             error: .unspecifiedSourceNotToSolicitedNode(destination: IPv6Address("fd00:99::3")!)),
        Case(description: "NA to ff02::1 with S = 1", fixture: "na-unsolicited-kernel", fixChecksum: true,
             change: { $0[58] = 0x60 }, error: .solicitedAdvertisementToMulticast(destination: IPv6Address("ff02::1")!)),
        Case(description: "NA with TLLA of length 3", fixture: "na-kernel", fixChecksum: true,
             change: { $0[19] = 48; $0[79] = 3; $0 += Array(repeating: 0, count: 16) },
             error: .badLinkLayerOptionLength(type: 2, length: 3)),
    ]

    /// Decodes `frame` as far as its EtherType says: Ethernet, then ARP or NDP.
    static func decode(_ frame: [UInt8]) throws(FrameDecodeError) {
        let ethernet = try EthernetFrame(decoding: frame)
        switch ethernet.etherType {
        case EthernetFrame.etherTypeARP: _ = try ARPPacket(decoding: ethernet.payload)
        case EthernetFrame.etherTypeIPv6: _ = try NDPPacket(decoding: ethernet.payload)
        default: break
        }
    }

    @Test(arguments: cases)
    func throwsTheExactError(_ c: Case) throws {
        var frame = try F.bytes(c.fixture)
        #expect(F.error { () throws(FrameDecodeError) in try Self.decode(frame) } == nil, "the fixture itself decodes")
        c.change(&frame)
        if c.fixChecksum { frame = F.fixingChecksum(frame) }
        let error = F.error { () throws(FrameDecodeError) in try Self.decode(frame) }
        #expect(error == c.error, "got \(error.map(String.init(describing:)) ?? "no error")")
        #expect(!(error?.description.isEmpty ?? true))
    }

    @Test func paddingAndTrailingOctetsAreIgnored() throws {
        // Oversized: 1500 octets after an ARP packet, or after the IPv6 payload, are padding.
        let arp = try F.bytes("arp-request-arping")
        #expect(try F.arp(arp + Array(repeating: 0xEE, count: 1500)).1 == (try F.arp(arp)).1)
        let ns = try F.bytes("ns-ndisc6")
        #expect(try F.ndp(ns + Array(repeating: 0xEE, count: 1500)).1 == (try F.ndp(ns)).1)
    }

    @Test func unknownOptionsAreSkipped() throws {
        // The kernel's DAD solicitation carries a nonce option (type 14, RFC 7527).
        let frame = try F.bytes("ns-dad-kernel")
        #expect(frame[78] == 14 && frame[79] == 1)
        #expect(try F.ndp(frame).1.message == .solicitation(NeighborSolicitation(target: F.v6DAD)))
    }

    @Test func firstOfDuplicatedLinkLayerOptionsCounts() throws {
        var frame = try F.bytes("ns-ndisc6")
        frame[19] = 40
        frame += [1, 1, 2, 0, 0, 0, 0, 0x99]
        let (_, packet) = try F.ndp(F.fixingChecksum(frame))
        #expect(packet.message == .solicitation(NeighborSolicitation(target: F.v6B, sourceLinkLayer: F.macA)))
    }

    @Test func fixChecksumHelperProducesAValidChecksum() throws {
        var frame = try F.bytes("ns-ndisc6")
        frame[56] = 0
        frame[57] = 0
        #expect(F.fixingChecksum(frame) == (try F.bytes("ns-ndisc6")))
    }
}
