import LBKernel
import Testing
@testable import Layer2Plugin

/// Layer2Frames' builders: their frames decode back to what was asked, and equal what Linux and arping send
/// (captured in Fixtures/frames) byte for byte, apart from the padding to 60 octets.
@Suite struct FramesBuilderTests {
    typealias F = FramesFixtures

    /// `built` is `captured` followed by zero padding up to 60 octets.
    func expectSame(_ built: [UInt8], as captured: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(built.count == max(60, captured.count), sourceLocation: sourceLocation)
        #expect(Array(built.prefix(captured.count)) == captured,
                "built:\n\(F.hex(built))\ncaptured:\n\(F.hex(captured))", sourceLocation: sourceLocation)
        #expect(built.dropFirst(captured.count).allSatisfy { $0 == 0 }, sourceLocation: sourceLocation)
    }

    @Test func arpReplyEqualsTheKernels() throws {
        let (ethernet, request) = try F.arp(try F.bytes("arp-request-arping"))
        let reply = Layer2Frames.arpReply(to: request, requesterMAC: ethernet.source, mac: F.macB)
        expectSame(reply, as: try F.bytes("arp-reply-kernel"))
    }

    @Test func probeReplyEqualsTheKernels() throws {
        let (ethernet, probe) = try F.arp(try F.bytes("arp-probe-arping"))
        let reply = Layer2Frames.arpReply(to: probe, requesterMAC: ethernet.source, mac: F.macB)
        expectSame(reply, as: try F.bytes("arp-probe-reply-kernel"))
    }

    @Test func gratuitousReplyEqualsArpingA() throws {
        expectSame(Layer2Frames.gratuitousARPReply(address: F.ipA, mac: F.macA),
                   as: try F.bytes("arp-gratuitous-reply-arping"))
    }

    @Test func gratuitousRequestIsArpingUWithAZeroTargetMAC() throws {
        let built = Layer2Frames.gratuitousARPRequest(address: F.ipA, mac: F.macA)
        let (ethernet, packet) = try F.arp(built)
        #expect(ethernet.destination == .broadcast)
        #expect(ethernet.source == F.macA)
        #expect(packet == ARPPacket(operation: .request, senderMAC: F.macA, senderIP: F.ipA, targetMAC: .zero,
                                    targetIP: F.ipA))
        #expect(packet.isGratuitous)
        // arping -U puts ff:ff:ff:ff:ff:ff in the target MAC (octets 32-37); Linux's own announcements put zeros.
        var arping = try F.bytes("arp-gratuitous-request-arping")
        arping.replaceSubrange(32..<38, with: [0, 0, 0, 0, 0, 0])
        expectSame(built, as: arping)
    }

    @Test func neighborAdvertisementEqualsTheKernels() throws {
        let (ethernet, ns) = try F.ndp(try F.bytes("ns-ndisc6"))
        let na = Layer2Frames.neighborAdvertisement(answering: ns, requesterMAC: ethernet.source, mac: F.macB)
        expectSame(na, as: try F.bytes("na-kernel"))
    }

    @Test func unsolicitedAdvertisementEqualsTheKernels() throws {
        expectSame(Layer2Frames.unsolicitedNeighborAdvertisement(target: F.v6DAD, mac: F.macB),
                   as: try F.bytes("na-unsolicited-kernel"))
    }

    @Test func advertisementAnsweringDADGoesToAllNodes() throws {
        let (ethernet, ns) = try F.ndp(try F.bytes("ns-dad-kernel"))
        let (replyEthernet, reply) = try F.ndp(Layer2Frames.neighborAdvertisement(
            answering: ns, requesterMAC: ethernet.source, mac: F.macA))
        #expect(replyEthernet.destination == MACAddress("33:33:00:00:00:01")!)
        #expect(replyEthernet.source == F.macA)
        #expect(reply.header.source == F.v6DAD)
        #expect(reply.header.destination == F.allNodes)
        #expect(reply.header.hopLimit == 255)
        #expect(reply.message == .advertisement(NeighborAdvertisement(solicited: false, override: true,
                                                                      target: F.v6DAD, targetLinkLayer: F.macA)))
    }

    @Test(arguments: [[], [VLANTag(vlanID: 10)], [VLANTag(vlanID: 100, tpid: VLANTag.tpid8021AD),
                                                      VLANTag(vlanID: 4094, priority: 7)]])
    func framesKeepTheirVLANTags(_ tags: [VLANTag]) throws {
        let arpFrames = [Layer2Frames.gratuitousARPRequest(address: F.ipB, mac: F.macB, vlanTags: tags),
                         Layer2Frames.gratuitousARPReply(address: F.ipB, mac: F.macB, vlanTags: tags)]
        for frame in arpFrames {
            let (ethernet, packet) = try F.arp(frame)
            #expect(ethernet.vlanTags == tags)
            #expect(packet.senderIP == F.ipB && packet.senderMAC == F.macB)
            #expect(frame.count == 60)  // 14 + 4 per tag + 28, padded to 60
        }
        let (ethernet, na) = try F.ndp(Layer2Frames.unsolicitedNeighborAdvertisement(target: F.v6B, mac: F.macB,
                                                                                     vlanTags: tags))
        #expect(ethernet.vlanTags == tags)
        #expect(na.message.target == F.v6B)
    }

    @Test(arguments: [
        ("fd00:99::2", "ff02::1:ff00:2"),
        ("2001:db8::abcd:ef12:3456", "ff02::1:ff12:3456"),
        ("fe80::99:ff:fe00:a", "ff02::1:ff00:a"),
        ("::", "ff02::1:ff00:0"),
    ])
    func solicitedNodeMulticast(_ address: String, _ group: String) {
        // RFC 4291 §2.7.1: ff02::1:ff00:0/104 and the low 24 bits.
        #expect(Layer2Frames.solicitedNodeMulticast(for: IPv6Address(address)!) == IPv6Address(group)!)
        #expect(IPv6Address(group)!.isSolicitedNodeMulticast)
    }

    @Test func ipv6MulticastMACs() {
        // RFC 2464 §7: 33:33 and the low 32 bits of the group.
        #expect(MACAddress.ipv6Multicast(IPv6Address("ff02::1:ff00:2")!.value) == MACAddress("33:33:ff:00:00:02")!)
        #expect(MACAddress.ipv6Multicast(F.allNodes.value) == MACAddress("33:33:00:00:00:01")!)
    }

    @Test func codecsRoundTrip() throws {
        let arp = ARPPacket(operation: .reply, senderMAC: F.macB, senderIP: F.ipB, targetMAC: F.macA, targetIP: F.ipA)
        #expect(try ARPPacket(decoding: arp.encoded()) == arp)
        let messages: [NDPMessage] = [
            .solicitation(NeighborSolicitation(target: F.v6B, sourceLinkLayer: F.macA)),
            .solicitation(NeighborSolicitation(target: F.v6B, sourceLinkLayer: nil)),
            .advertisement(NeighborAdvertisement(router: true, solicited: true, override: false, target: F.v6B,
                                                 targetLinkLayer: F.macB)),
            .advertisement(NeighborAdvertisement(solicited: true, override: true, target: F.v6B, targetLinkLayer: nil)),
        ]
        for message in messages {
            let packet = NDPPacket(source: F.linkLocalA, destination: F.v6B, message: message)
            #expect(try NDPPacket(decoding: packet.encoded()) == packet)
        }
        let frame = EthernetFrame(destination: F.macA, source: F.macB, vlanTags: [VLANTag(vlanID: 7)],
                                  etherType: 0x1234, payload: Array(repeating: 0xAB, count: 100))
        #expect(frame.encoded().count == 14 + 4 + 100)
        #expect(try EthernetFrame(decoding: frame.encoded()) == frame)
    }

    @Test func internetChecksumOfRFC1071() {
        // RFC 1071 §3's example: the sum of 0001 f203 f4f5 f6f7 is ddf2, so the checksum is 220d; an odd octet is
        // padded with zero; split chunks give the same sum.
        #expect(InternetChecksum.checksum([[0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]]) == 0x220D)
        #expect(InternetChecksum.checksum([[0x00, 0x01, 0xF2, 0x03], [0xF4, 0xF5, 0xF6, 0xF7]]) == 0x220D)
        #expect(InternetChecksum.checksum([[0x12]]) == ~UInt16(0x1200))
    }

    @Test func vlanTagFields() {
        let tag = VLANTag(tpid: 0x8100, tci: 0xA00A)
        #expect(tag.vlanID == 10 && tag.priority == 5)
        #expect(VLANTag(vlanID: 0x1FFF, priority: 9) == VLANTag(tpid: 0x8100, tci: 0x2FFF))
        #expect(tag.description == "vlan 10 prio 5")
    }
}
