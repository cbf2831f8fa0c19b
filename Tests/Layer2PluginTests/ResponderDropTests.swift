import LBKernel
import Testing
@testable import Layer2Plugin

/// Malformed, spoofed and misdirected frames: the responder drops each for the exact reason (offsets as in
/// FramesMalformedTests).
@Suite struct ResponderDropTests {
    typealias F = FramesFixtures

    static let frb = ResponderTests.frb
    static let table = ResponderTests.table

    /// A fixture, a change to it, the interface and table it arrives with, and the expected drop.
    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var fixture: String
        var fixChecksum = false
        var interface = ResponderDropTests.frb
        var table = ResponderDropTests.table
        var change: @Sendable (inout [UInt8]) -> Void = { _ in }
        var reason: DropReason
    }

    static let other = MACAddress("02:99:00:00:00:0c")!
    static let ipv6 = FramesMalformedTests.ipv6

    static let cases: [Case] = [
        // Malformed (FrameDecodeError) and unsupported.
        Case(description: "truncated ARP", fixture: "arp-request-arping", change: { $0.removeLast(1) },
             reason: .malformed),
        Case(description: "wrong hlen", fixture: "arp-request-arping", change: { $0[18] = 4 }, reason: .malformed),
        Case(description: "runt frame", fixture: "arp-request-arping", change: { $0.removeLast($0.count - 10) },
             reason: .malformed),
        Case(description: "payload length beyond the bytes", fixture: "ns-ndisc6", change: { $0[19] = 0x40 },
             reason: .malformed),
        Case(description: "bad ICMPv6 checksum", fixture: "ns-ndisc6", change: { $0[56] ^= 0x80 }, reason: .malformed),
        Case(description: "option length 0", fixture: "ns-ndisc6", fixChecksum: true, change: { $0[79] = 0 },
             reason: .malformed),
        Case(description: "multicast target", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(62..<78, with: ipv6("ff02::1:ff00:2")) }, reason: .malformed),
        Case(description: "NS from :: with SLLA", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(22..<38, with: ipv6("::")) }, reason: .malformed),
        Case(description: "IPv4 EtherType", fixture: "arp-request-arping", change: { $0[12] = 0x08; $0[13] = 0x00 },
             reason: .unsupported),
        Case(description: "ICMPv6 echo request", fixture: "ns-ndisc6", change: { $0[54] = 128 }, reason: .unsupported),
        Case(description: "UDP over IPv6", fixture: "ns-ndisc6", change: { $0[20] = 17 }, reason: .unsupported),
        // Hop limit (RFC 4861 §7.1.1/§7.1.2; not part of the checksum).
        Case(description: "NS hop limit 64", fixture: "ns-ndisc6", change: { $0[21] = 64 }, reason: .hopLimitNot255),
        Case(description: "NS hop limit 254", fixture: "ns-ndisc6", change: { $0[21] = 254 }, reason: .hopLimitNot255),
        Case(description: "NA hop limit 1", fixture: "na-unsolicited-kernel", interface: ResponderTests.fra,
             change: { $0[21] = 1 }, reason: .hopLimitNot255),
        // Our own frames and spoofed sources.
        Case(description: "our own MAC as Ethernet source", fixture: "arp-request-arping",
             interface: ResponderTests.fra, reason: .ownFrame),
        Case(description: "our own MAC as ARP sender", fixture: "arp-request-arping",
             change: { $0.replaceSubrange(22..<28, with: F.macB.bytes) }, reason: .ownFrame),
        Case(description: "our own MAC in the SLLA", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(80..<86, with: F.macB.bytes) }, reason: .ownFrame),
        Case(description: "our own MAC in an NA's TLLA", fixture: "na-unsolicited-kernel", fixChecksum: true,
             interface: ResponderTests.fra, change: { $0.replaceSubrange(80..<86, with: F.macA.bytes) },
             reason: .ownFrame),
        Case(description: "multicast Ethernet source", fixture: "arp-request-arping",
             change: { $0.replaceSubrange(6..<12, with: [0x01, 0x00, 0x5E, 0, 0, 1]) }, reason: .invalidSourceMAC),
        Case(description: "broadcast Ethernet source", fixture: "ns-ndisc6",
             change: { $0.replaceSubrange(6..<12, with: MACAddress.broadcast.bytes) }, reason: .invalidSourceMAC),
        Case(description: "zero Ethernet source", fixture: "arp-request-arping",
             change: { $0.replaceSubrange(6..<12, with: MACAddress.zero.bytes) }, reason: .invalidSourceMAC),
        Case(description: "multicast ARP sender", fixture: "arp-request-arping",
             change: { $0.replaceSubrange(22..<28, with: [0x33, 0x33, 0, 0, 0, 1]) }, reason: .invalidSourceMAC),
        Case(description: "multicast SLLA", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(80..<86, with: MACAddress.broadcast.bytes) }, reason: .invalidSourceMAC),
        // Misdirected.
        Case(description: "ARP request to another unicast MAC", fixture: "arp-request-unicast-arping",
             change: { $0.replaceSubrange(0..<6, with: ResponderDropTests.other.bytes) }, reason: .notAddressedToUs),
        Case(description: "ARP request to a multicast MAC", fixture: "arp-request-arping",
             change: { $0.replaceSubrange(0..<6, with: [0x01, 0x00, 0x5E, 0, 0, 1]) }, reason: .notAddressedToUs),
        Case(description: "NS to another solicited-node group", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(38..<54, with: ipv6("ff02::1:ff00:9")); $0[5] = 9 }, reason: .notAddressedToUs),
        Case(description: "NS to all-nodes", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(38..<54, with: ipv6("ff02::1")); $0.replaceSubrange(0..<6, with: [0x33, 0x33, 0, 0, 0, 1]) },
             reason: .notAddressedToUs),
        Case(description: "NS to the group at the broadcast MAC", fixture: "ns-ndisc6",
             change: { $0.replaceSubrange(0..<6, with: MACAddress.broadcast.bytes) }, reason: .notAddressedToUs),
        Case(description: "unicast NS to the target at another MAC", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(38..<54, with: ipv6("fd00:99::2")); $0.replaceSubrange(0..<6, with: ResponderDropTests.other.bytes) },
             reason: .notAddressedToUs),
        Case(description: "unicast NS to another address", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(38..<54, with: ipv6("fd00:99::1")); $0.replaceSubrange(0..<6, with: F.macB.bytes) },
             reason: .notAddressedToUs),
        // Not a question.
        Case(description: "NA without Override", fixture: "na-kernel", fixChecksum: true, interface: ResponderTests.fra,
             change: { $0[58] = 0x40 }, reason: .notARequest),
        // Not ours to answer.
        Case(description: "address not in the table", fixture: "arp-request-arping", table: .empty, reason: .notOwned),
        Case(description: "NS for an address not in the table", fixture: "ns-ndisc6",
             table: AnswerTable(entries: [.v4(F.ipB): []]), reason: .notOwned),
        Case(description: "NS for a target of the same group not in the table", fixture: "ns-ndisc6", fixChecksum: true,
             change: { $0.replaceSubrange(62..<78, with: ipv6("fd00:98::2")) }, reason: .notOwned),
        Case(description: "interface not allowed (ARP)", fixture: "arp-request-arping",
             table: AnswerTable(entries: [.v4(F.ipB): ["eth9"]]), reason: .interfaceNotAllowed),
        Case(description: "interface not allowed (NS)", fixture: "ns-ndisc6",
             interface: ResponderInterface(name: "eth9", mac: F.macB), reason: .interfaceNotAllowed),
        Case(description: "claim of an address not in the table", fixture: "na-unsolicited-kernel",
             interface: ResponderTests.fra, table: AnswerTable(entries: [.v6(F.v6B): []]), reason: .notOwned),
    ]

    @Test(arguments: cases)
    func dropsForTheExactReason(_ c: Case) throws {
        var frame = try F.bytes(c.fixture)
        c.change(&frame)
        if c.fixChecksum { frame = F.fixingChecksum(frame) }
        #expect(Responder.respond(to: frame, on: c.interface, table: c.table) == .drop(c.reason))
    }

    @Test func everyReasonIsExercised() {
        #expect(Set(Self.cases.map(\.reason)) == Set(DropReason.allCases))
    }

    @Test func unicastSolicitationToUsIsAnswered() throws {
        // A NUD probe: sent to the target itself at our MAC (RFC 4861 §7.2.2), without SLLA.
        var frame = try F.bytes("ns-ndisc6")
        frame.replaceSubrange(38..<54, with: Self.ipv6("fd00:99::2"))
        frame.replaceSubrange(0..<6, with: F.macB.bytes)
        frame[19] = 24
        frame.removeLast(8)
        let outcome = Responder.respond(to: F.fixingChecksum(frame), on: Self.frb, table: Self.table)
        guard case .reply(let reply, .v6(F.v6B)) = outcome else {
            Issue.record("expected a reply, got \(outcome)")
            return
        }
        #expect(try F.ndp(reply).0.destination == F.macA)
    }
}
