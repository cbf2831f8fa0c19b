import LBKernel
import Testing
@testable import Layer2Plugin

/// The frames captured from arping, ndisc6 and the Linux kernel (Fixtures/frames) decode with the expected fields.
@Suite struct FramesFixtureTests {
    typealias F = FramesFixtures

    /// An ARP fixture and what it holds.
    struct ARPCase: CustomStringConvertible, Sendable {
        var name: String
        var destination: MACAddress
        var source: MACAddress
        var vlanTags: [VLANTag] = []
        var packet: ARPPacket
        var gratuitous = false
        var description: String { name }
    }

    static let arpCases: [ARPCase] = [
        ARPCase(name: "arp-request-arping", destination: .broadcast, source: F.macA,
                packet: ARPPacket(operation: .request, senderMAC: F.macA, senderIP: F.ipA, targetMAC: .broadcast,
                                  targetIP: F.ipB)),
        ARPCase(name: "arp-reply-kernel", destination: F.macA, source: F.macB,
                packet: ARPPacket(operation: .reply, senderMAC: F.macB, senderIP: F.ipB, targetMAC: F.macA,
                                  targetIP: F.ipA)),
        ARPCase(name: "arp-request-unicast-arping", destination: F.macB, source: F.macA,
                packet: ARPPacket(operation: .request, senderMAC: F.macA, senderIP: F.ipA, targetMAC: F.macB,
                                  targetIP: F.ipB)),
        ARPCase(name: "arp-gratuitous-request-arping", destination: .broadcast, source: F.macA,
                packet: ARPPacket(operation: .request, senderMAC: F.macA, senderIP: F.ipA, targetMAC: .broadcast,
                                  targetIP: F.ipA), gratuitous: true),
        ARPCase(name: "arp-gratuitous-reply-arping", destination: .broadcast, source: F.macA,
                packet: ARPPacket(operation: .reply, senderMAC: F.macA, senderIP: F.ipA, targetMAC: F.macA,
                                  targetIP: F.ipA), gratuitous: true),
        ARPCase(name: "arp-probe-arping", destination: .broadcast, source: F.macA,
                packet: ARPPacket(operation: .request, senderMAC: F.macA, senderIP: IPv4Address(0),
                                  targetMAC: .broadcast, targetIP: F.ipB)),
        ARPCase(name: "arp-probe-reply-kernel", destination: F.macA, source: F.macB,
                packet: ARPPacket(operation: .reply, senderMAC: F.macB, senderIP: F.ipB, targetMAC: F.macA,
                                  targetIP: IPv4Address(0))),
        ARPCase(name: "arp-request-vlan10", destination: .broadcast, source: F.macA,
                vlanTags: [VLANTag(vlanID: 10)],
                packet: ARPPacket(operation: .request, senderMAC: F.macA, senderIP: F.ipA, targetMAC: .broadcast,
                                  targetIP: F.ipB)),
        ARPCase(name: "arp-request-qinq", destination: .broadcast, source: F.macA,
                vlanTags: [VLANTag(vlanID: 100, tpid: VLANTag.tpid8021AD), VLANTag(vlanID: 10)],
                packet: ARPPacket(operation: .request, senderMAC: F.macA, senderIP: F.ipA, targetMAC: .broadcast,
                                  targetIP: F.ipB)),
    ]

    @Test(arguments: arpCases)
    func arpFixtureDecodes(_ c: ARPCase) throws {
        let (ethernet, packet) = try F.arp(try F.bytes(c.name))
        #expect(ethernet.destination == c.destination)
        #expect(ethernet.source == c.source)
        #expect(ethernet.vlanTags == c.vlanTags)
        #expect(packet == c.packet)
        #expect(packet.isGratuitous == c.gratuitous)
        #expect(packet.isProbe == (c.name == "arp-probe-arping"))
        // Re-encoding gives the captured bytes back (padded to 60 octets).
        #expect(ethernet.encoded().prefix(try F.bytes(c.name).count) == ArraySlice(try F.bytes(c.name)))
    }

    /// An NDP fixture and what it holds.
    struct NDPCase: CustomStringConvertible, Sendable {
        var name: String
        var destinationMAC: MACAddress
        var sourceMAC: MACAddress
        var vlanTags: [VLANTag] = []
        var source: IPv6Address
        var destination: IPv6Address
        var message: NDPMessage
        var description: String { name }
    }

    static let ndpCases: [NDPCase] = [
        NDPCase(name: "ns-ndisc6", destinationMAC: MACAddress("33:33:ff:00:00:02")!, sourceMAC: F.macA,
                source: F.linkLocalA, destination: IPv6Address("ff02::1:ff00:2")!,
                message: .solicitation(NeighborSolicitation(target: F.v6B, sourceLinkLayer: F.macA))),
        NDPCase(name: "na-kernel", destinationMAC: F.macA, sourceMAC: F.macB, source: F.v6B, destination: F.linkLocalA,
                message: .advertisement(NeighborAdvertisement(solicited: true, override: true, target: F.v6B,
                                                              targetLinkLayer: F.macB))),
        // DAD: from ::, to the solicited-node group, no SLLA; its nonce option (RFC 7527) is skipped.
        NDPCase(name: "ns-dad-kernel", destinationMAC: MACAddress("33:33:ff:00:00:03")!, sourceMAC: F.macB,
                source: IPv6Address(0), destination: IPv6Address("ff02::1:ff00:3")!,
                message: .solicitation(NeighborSolicitation(target: F.v6DAD, sourceLinkLayer: nil))),
        NDPCase(name: "na-unsolicited-kernel", destinationMAC: MACAddress("33:33:00:00:00:01")!, sourceMAC: F.macB,
                source: F.v6DAD, destination: F.allNodes,
                message: .advertisement(NeighborAdvertisement(solicited: false, override: true, target: F.v6DAD,
                                                              targetLinkLayer: F.macB))),
        // A Neighbor Unreachability Detection probe: unicast to the target itself, at its MAC.
        NDPCase(name: "ns-unicast-kernel", destinationMAC: F.macA, sourceMAC: F.macB, source: F.linkLocalB,
                destination: F.linkLocalA,
                message: .solicitation(NeighborSolicitation(target: F.linkLocalA, sourceLinkLayer: F.macB))),
        NDPCase(name: "ns-vlan10", destinationMAC: MACAddress("33:33:ff:00:00:02")!, sourceMAC: F.macA,
                vlanTags: [VLANTag(vlanID: 10, priority: 5)], source: F.linkLocalA,
                destination: IPv6Address("ff02::1:ff00:2")!,
                message: .solicitation(NeighborSolicitation(target: F.v6B, sourceLinkLayer: F.macA))),
    ]

    @Test(arguments: ndpCases)
    func ndpFixtureDecodes(_ c: NDPCase) throws {
        let (ethernet, packet) = try F.ndp(try F.bytes(c.name))
        #expect(ethernet.destination == c.destinationMAC)
        #expect(ethernet.source == c.sourceMAC)
        #expect(ethernet.vlanTags == c.vlanTags)
        #expect(packet.header.source == c.source)
        #expect(packet.header.destination == c.destination)
        #expect(packet.header.hopLimit == 255)
        #expect(packet.header.nextHeader == 58)
        #expect(packet.message == c.message)
    }

    @Test func everyFixtureIsCovered() {
        let covered = Set(Self.arpCases.map(\.name) + Self.ndpCases.map(\.name))
        #expect(Set(F.names) == covered)
        #expect(F.names.count >= 14)
    }

    @Test func ndisc6FlowLabelIsKept() throws {
        let (_, packet) = try F.ndp(try F.bytes("ns-ndisc6"))
        #expect(packet.header.flowLabel == 0x693A8)
        #expect(packet.header.payloadLength == 32)
        // The kernel's NA re-encodes to exactly the captured bytes (flow label 0, checksum recomputed).
        let (_, na) = try F.ndp(try F.bytes("na-kernel"))
        #expect(na.encoded() == Array(try F.bytes("na-kernel").dropFirst(14)))
    }
}
