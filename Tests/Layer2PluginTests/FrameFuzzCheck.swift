import LBKernel
import Testing
@testable import Layer2Plugin

/// The fuzz tests draw from LBKernel's seeded generator, so a failure reproduces from its seed.
extension SplitMix64 {
    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// The properties every input must keep, shared by the fuzz test and the crasher replay.
enum FrameFuzzCheck {
    /// The interfaces the fuzzed frames arrive on: the capture's two ends and a third, unrelated one.
    static let interfaces = [ResponderTests.frb, ResponderTests.fra,
                             ResponderInterface(name: "eth9", mac: MACAddress("02:99:00:00:00:0c")!)]
    /// Addresses of the fixtures, some restricted to interfaces.
    static let table = AnswerTable(entries: [
        .v4(FramesFixtures.ipA): ["fra"], .v4(FramesFixtures.ipB): [], .v6(FramesFixtures.v6B): ["frb"],
        .v6(FramesFixtures.v6DAD): ["fra", "eth9"],
    ])

    /// What the responder did, for counting.
    enum Kind { case reply, claim, drop }

    /// Decodes `frame` every way (nothing may trap), checks that what decodes re-encodes to the same thing, then
    /// checks the responder's outcome on `interface`: a reply only for a table address allowed there, a valid ARP
    /// reply or Neighbor Advertisement from our MAC for the address asked; a claim only for a table address, from
    /// another unicast MAC.
    @discardableResult
    static func check(_ frame: [UInt8], on interface: ResponderInterface, table: AnswerTable = table,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Kind {
        let ethernet = try? EthernetFrame(decoding: frame)
        let arp = ethernet.flatMap { try? ARPPacket(decoding: $0.payload) }
        let ndp = ethernet.flatMap { try? NDPPacket(decoding: $0.payload) }
        // The decoders on the raw bytes too (as if the Ethernet header were missing).
        _ = try? ARPPacket(decoding: frame)
        _ = try? NDPPacket(decoding: frame)
        _ = try? IPv6Header(decoding: frame)
        if let ethernet {
            let again = try? EthernetFrame(decoding: ethernet.encoded())
            #expect(again?.destination == ethernet.destination && again?.vlanTags == ethernet.vlanTags
                    && again?.payload.starts(with: ethernet.payload) == true, sourceLocation: sourceLocation)
        }
        if let arp { #expect((try? ARPPacket(decoding: arp.encoded())) == arp, sourceLocation: sourceLocation) }
        if let ndp {
            let again = try? NDPPacket(decoding: ndp.encoded())
            #expect(again?.message == ndp.message && again?.header.source == ndp.header.source
                    && again?.header.destination == ndp.header.destination, sourceLocation: sourceLocation)
        }

        switch Responder.respond(to: frame, on: interface, table: table) {
        case .drop:
            return .drop
        case .claim(let claim):
            #expect(table.entries[claim.address] != nil, "claim of \(claim.address)", sourceLocation: sourceLocation)
            #expect(claim.mac != interface.mac && claim.mac.isUnicast, sourceLocation: sourceLocation)
            #expect(claim.interface == interface.name, sourceLocation: sourceLocation)
            return .claim
        case .reply(let reply, let address):
            #expect(table.answers(address, on: interface.name), "reply for \(address) on \(interface.name)",
                    sourceLocation: sourceLocation)
            guard let ethernet, let replyEthernet = try? EthernetFrame(decoding: reply) else {
                Issue.record("the reply or the request does not decode", sourceLocation: sourceLocation)
                return .reply
            }
            #expect(replyEthernet.source == interface.mac, sourceLocation: sourceLocation)
            #expect(replyEthernet.vlanTags == ethernet.vlanTags, sourceLocation: sourceLocation)
            #expect(reply.count >= 60, sourceLocation: sourceLocation)
            switch address {
            case .v4(let ip):
                let answer = try? ARPPacket(decoding: replyEthernet.payload)
                #expect(arp?.operation == .request && arp?.targetIP == ip, sourceLocation: sourceLocation)
                #expect(replyEthernet.etherType == EthernetFrame.etherTypeARP, sourceLocation: sourceLocation)
                #expect(replyEthernet.destination == ethernet.source, sourceLocation: sourceLocation)
                #expect(answer?.operation == .reply && answer?.senderMAC == interface.mac && answer?.senderIP == ip,
                        sourceLocation: sourceLocation)
                #expect(answer?.targetMAC == arp?.senderMAC && answer?.targetIP == arp?.senderIP,
                        sourceLocation: sourceLocation)
            case .v6(let ip):
                let answer = try? NDPPacket(decoding: replyEthernet.payload)
                guard case .solicitation(let ns) = ndp?.message, let ndp, let answer,
                      case .advertisement(let na) = answer.message else {
                    Issue.record("not an NA answering an NS", sourceLocation: sourceLocation)
                    return .reply
                }
                #expect(ns.target == ip && na.target == ip && answer.header.source == ip, sourceLocation: sourceLocation)
                #expect(na.targetLinkLayer == interface.mac && na.override && !na.router, sourceLocation: sourceLocation)
                #expect(na.solicited == !ndp.header.source.isUnspecified, sourceLocation: sourceLocation)
                #expect(answer.header.hopLimit == 255 && ndp.header.hopLimit == 255, sourceLocation: sourceLocation)
                #expect(replyEthernet.destination == (na.solicited ? ethernet.source : MACAddress("33:33:00:00:00:01")!),
                        sourceLocation: sourceLocation)
            }
            return .reply
        }
    }
}
