import LBKernel
import Testing
@testable import Layer2Plugin

/// The responder on the captured requests: its replies are what the Linux kernel sent (field by field and byte for
/// byte), tags are kept, and announcements by others come out as claims.
@Suite struct ResponderTests {
    typealias F = FramesFixtures

    /// frb, answering for every address of the capture.
    static let frb = ResponderInterface(name: "frb", mac: F.macB)
    /// fra, which sees frb's replies and announcements.
    static let fra = ResponderInterface(name: "fra", mac: F.macA)
    static let table = AnswerTable(entries: [.v4(F.ipA): [], .v4(F.ipB): [], .v6(F.v6B): ["frb"], .v6(F.v6DAD): []])

    /// The reply frame of `outcome`, for `address`; records an issue otherwise.
    func replyFrame(_ outcome: ResponderOutcome, for address: IPAddress,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [UInt8] {
        guard case .reply(let frame, let answered) = outcome else {
            Issue.record("expected a reply, got \(outcome)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        #expect(answered == address, sourceLocation: sourceLocation)
        return frame
    }

    @Test func arpRequestGetsTheKernelsReply() throws {
        let outcome = Responder.respond(to: try F.bytes("arp-request-arping"), on: Self.frb, table: Self.table)
        let frame = try replyFrame(outcome, for: .v4(F.ipB))
        let (ethernet, reply) = try F.arp(frame)
        #expect(ethernet.destination == F.macA)
        #expect(ethernet.source == F.macB)
        #expect(ethernet.vlanTags == [])
        #expect(reply.operation == .reply)
        #expect(reply.senderMAC == F.macB)
        #expect(reply.senderIP == F.ipB)
        #expect(reply.targetMAC == F.macA)
        #expect(reply.targetIP == F.ipA)
        let kernel = try F.bytes("arp-reply-kernel")
        #expect(Array(frame.prefix(kernel.count)) == kernel)
    }

    @Test func unicastRequestToUsIsAnswered() throws {
        let outcome = Responder.respond(to: try F.bytes("arp-request-unicast-arping"), on: Self.frb, table: Self.table)
        let (ethernet, reply) = try F.arp(try replyFrame(outcome, for: .v4(F.ipB)))
        #expect(ethernet.destination == F.macA)
        #expect(reply.senderIP == F.ipB && reply.senderMAC == F.macB)
    }

    @Test func probeIsAnsweredAsTheKernelDoes() throws {
        // RFC 5227 §2.1.1: a probe from 0.0.0.0 gets a reply to the prober's MAC with target IP 0.0.0.0.
        let outcome = Responder.respond(to: try F.bytes("arp-probe-arping"), on: Self.frb, table: Self.table)
        let frame = try replyFrame(outcome, for: .v4(F.ipB))
        let kernel = try F.bytes("arp-probe-reply-kernel")
        #expect(Array(frame.prefix(kernel.count)) == kernel)
        #expect(try F.arp(frame).1.targetIP == IPv4Address(0))
    }

    @Test(arguments: [("arp-request-vlan10", [VLANTag(vlanID: 10)]),
                      ("arp-request-qinq", [VLANTag(vlanID: 100, tpid: VLANTag.tpid8021AD), VLANTag(vlanID: 10)])])
    func taggedRequestGetsATaggedReply(_ name: String, _ tags: [VLANTag]) throws {
        let outcome = Responder.respond(to: try F.bytes(name), on: Self.frb, table: Self.table)
        let (ethernet, reply) = try F.arp(try replyFrame(outcome, for: .v4(F.ipB)))
        #expect(ethernet.vlanTags == tags)
        #expect(ethernet.destination == F.macA && ethernet.source == F.macB)
        #expect(reply == ARPPacket(operation: .reply, senderMAC: F.macB, senderIP: F.ipB, targetMAC: F.macA,
                                   targetIP: F.ipA))
    }

    @Test func solicitationGetsTheKernelsAdvertisement() throws {
        let outcome = Responder.respond(to: try F.bytes("ns-ndisc6"), on: Self.frb, table: Self.table)
        let frame = try replyFrame(outcome, for: .v6(F.v6B))
        let (ethernet, na) = try F.ndp(frame)
        #expect(ethernet.destination == F.macA)
        #expect(ethernet.source == F.macB)
        #expect(na.header.source == F.v6B)
        #expect(na.header.destination == F.linkLocalA)
        #expect(na.header.hopLimit == 255)
        #expect(na.message == .advertisement(NeighborAdvertisement(router: false, solicited: true, override: true,
                                                                   target: F.v6B, targetLinkLayer: F.macB)))
        let kernel = try F.bytes("na-kernel")
        #expect(Array(frame.prefix(kernel.count)) == kernel)
    }

    @Test func taggedSolicitationGetsATaggedAdvertisement() throws {
        let outcome = Responder.respond(to: try F.bytes("ns-vlan10"), on: Self.frb, table: Self.table)
        let (ethernet, na) = try F.ndp(try replyFrame(outcome, for: .v6(F.v6B)))
        #expect(ethernet.vlanTags == [VLANTag(vlanID: 10, priority: 5)])
        #expect(na.message.target == F.v6B)
    }

    @Test func unicastProbeIsAnsweredToItsSender() throws {
        // The kernel's NUD probe: to the target itself at our MAC (RFC 4861 §7.3.3); the NA goes back unicast, S = 1.
        let table = AnswerTable(entries: [.v6(F.linkLocalA): []])
        let outcome = Responder.respond(to: try F.bytes("ns-unicast-kernel"), on: Self.fra, table: table)
        let (ethernet, na) = try F.ndp(try replyFrame(outcome, for: .v6(F.linkLocalA)))
        #expect(ethernet.destination == F.macB && ethernet.source == F.macA)
        #expect(na.header.source == F.linkLocalA && na.header.destination == F.linkLocalB)
        #expect(na.message == .advertisement(NeighborAdvertisement(solicited: true, override: true,
                                                                   target: F.linkLocalA, targetLinkLayer: F.macA)))
    }

    @Test func duplicateAddressDetectionIsAnsweredToAllNodes() throws {
        // RFC 4861 §7.2.4: a solicitation from :: is answered to ff02::1 with S = 0.
        let outcome = Responder.respond(to: try F.bytes("ns-dad-kernel"), on: Self.fra, table: Self.table)
        let (ethernet, na) = try F.ndp(try replyFrame(outcome, for: .v6(F.v6DAD)))
        #expect(ethernet.destination == MACAddress("33:33:00:00:00:01")!)
        #expect(ethernet.source == F.macA)
        #expect(na.header.destination == F.allNodes)
        #expect(na.message == .advertisement(NeighborAdvertisement(solicited: false, override: true, target: F.v6DAD,
                                                                   targetLinkLayer: F.macA)))
    }

    @Test(arguments: [
        ("arp-gratuitous-request-arping", "frb", IPAddress.v4(F.ipA), F.macA),
        ("arp-gratuitous-reply-arping", "frb", .v4(F.ipA), F.macA),
        ("arp-reply-kernel", "fra", .v4(F.ipB), F.macB),
        ("arp-probe-reply-kernel", "fra", .v4(F.ipB), F.macB),
        ("na-kernel", "fra", .v6(F.v6B), F.macB),
        ("na-unsolicited-kernel", "fra", .v6(F.v6DAD), F.macB),
    ])
    func announcementsAreClaims(_ name: String, _ interface: String, _ address: IPAddress, _ mac: MACAddress) throws {
        let on = interface == "fra" ? Self.fra : Self.frb
        let outcome = Responder.respond(to: try F.bytes(name), on: on, table: Self.table)
        #expect(outcome == .claim(AddressClaim(address: address, mac: mac, interface: interface)))
    }

    @Test func anAnnouncementOfAnAddressNotInTheTableIsNoClaim() throws {
        let outcome = Responder.respond(to: try F.bytes("arp-gratuitous-request-arping"), on: Self.frb, table: .empty)
        #expect(outcome == .drop(.notOwned))
    }

    @Test func dropReasonsHaveStableNames() {
        #expect(DropReason.allCases.map(\.rawValue) == [
            "malformed", "unsupported", "ownFrame", "invalidSourceMAC", "notAddressedToUs", "notARequest",
            "notOwned", "interfaceNotAllowed", "hopLimitNot255",
        ])
        #expect(Set(DropReason.allCases.map(\.description)).count == DropReason.allCases.count)
    }
}
