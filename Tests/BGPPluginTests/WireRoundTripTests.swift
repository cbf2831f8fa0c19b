import LBKernel
import NIOCore
import Testing
@testable import BGPPlugin

/// Messages encode and decode back to themselves, with 4-octet ASNs and without.
@Suite struct WireRoundTripTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var message: BGPMessage
        var testDescription: String { name }
    }

    static func v4(_ text: String) -> IPPrefix { IPPrefix(text)! }
    static func v6(_ text: String) -> IPPrefix { IPPrefix(text)! }

    static let cases: [Case] = [
        Case(name: "KEEPALIVE", message: .keepalive),
        Case(name: "OPEN without capabilities", message: .open(OpenMessage(
            myAS: 64500, holdTime: 90, bgpIdentifier: IPv4Address(10, 0, 0, 1), capabilities: []))),
        Case(name: "OPEN with capabilities", message: .open(OpenMessage(
            myAS: 4_200_000_000, holdTime: 3, bgpIdentifier: IPv4Address(192, 0, 2, 1), capabilities: [
                .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh, .extendedMessage,
                .gracefulRestart(GracefulRestartCapability(
                    restarting: true, notification: true, restartTime: 120,
                    families: [.init(family: .ipv4Unicast, forwardingPreserved: true),
                               .init(family: .ipv6Unicast, forwardingPreserved: false)])),
                .fourOctetAS(4_200_000_000), .unknown(code: 73, value: Array("lbd".utf8)),
            ]))),
        Case(name: "OPEN with capabilities over 255 octets (RFC 9072)", message: .open(OpenMessage(
            myAS: 64500, holdTime: 0, bgpIdentifier: IPv4Address(1, 2, 3, 4),
            capabilities: (0..<70).map { .multiprotocol(AddressFamily(afi: 1, safi: UInt8($0))) }))),
        Case(name: "NOTIFICATION cease with shutdown text", message: .notification(
            .cease(.administrativeShutdown, communication: "maintenance ✓"))),
        Case(name: "NOTIFICATION with an unknown code", message: .notification(
            NotificationMessage(code: .init(rawValue: 42), subcode: 7, data: [1, 2, 3]))),
        Case(name: "ROUTE-REFRESH", message: .routeRefresh(RouteRefreshMessage(family: .ipv6Unicast))),
        Case(name: "ROUTE-REFRESH BoRR", message: .routeRefresh(RouteRefreshMessage(family: .ipv4Unicast, subtype: 1))),
        Case(name: "UPDATE IPv4 with all attributes", message: .update(UpdateMessage(
            attributes: PathAttributes(
                origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [64500, 64501])],
                nextHop: IPv4Address(10, 0, 0, 1), multiExitDisc: 10, localPref: 200,
                communities: [PathAttributes.WellKnownCommunity.noExport.rawValue, 0xFDE8_0001],
                largeCommunities: [LargeCommunity(64500, 1, 2), LargeCommunity(4_200_000_000, 0, 0)]),
            nlri: [v4("10.0.0.0/8"), v4("192.0.2.1/32"), v4("0.0.0.0/0"), v4("172.16.128.0/17")]))),
        Case(name: "UPDATE IPv4 withdrawal", message: .update(UpdateMessage(
            withdrawn: [v4("198.18.0.1/32"), v4("198.18.0.0/15")]))),
        Case(name: "UPDATE IPv6 with a global next hop", message: .update(UpdateMessage(attributes: PathAttributes(
            origin: .incomplete, asPath: [ASPathSegment(kind: .sequence, asns: [64500])],
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHops: [IPAddress("fd99::2")!],
                                 nlri: [v6("2001:2::1/128"), v6("2001:db8::/32"), v6("::/0"), v6("2001:db8:1::/49")]))))),
        Case(name: "UPDATE IPv6 with global and link-local next hops", message: .update(UpdateMessage(
            attributes: PathAttributes(
                origin: .egp, asPath: [],
                mpReach: MPReachNLRI(family: .ipv6Unicast, nextHops: [IPAddress("fd99::2")!, IPAddress("fe80::1")!],
                                     nlri: [v6("2001:2::1/128")]))))),
        Case(name: "UPDATE IPv4 in MP_REACH_NLRI", message: .update(UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [],
            mpReach: MPReachNLRI(family: .ipv4Unicast, nextHops: [IPAddress("10.0.0.1")!],
                                 nlri: [v4("10.1.0.0/16")]))))),
        Case(name: "UPDATE IPv6 withdrawal", message: .update(UpdateMessage(attributes: PathAttributes(
            mpUnreach: MPUnreachNLRI(family: .ipv6Unicast, withdrawn: [v6("2001:2::1/128"), v6("2001:db8::/33")]))))),
        Case(name: "End-of-RIB IPv4", message: .update(.endOfRIB(.ipv4Unicast))),
        Case(name: "End-of-RIB IPv6", message: .update(.endOfRIB(.ipv6Unicast))),
        Case(name: "UPDATE with raw attributes", message: .update(UpdateMessage(
            attributes: PathAttributes(
                origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [1]), ASPathSegment(kind: .set, asns: [2, 3])],
                nextHop: IPv4Address(10, 0, 0, 1),
                other: [RawPathAttribute(flags: 0x40, typeCode: 6, value: []),
                        RawPathAttribute(flags: 0xE0, typeCode: 99, value: Array(repeating: 7, count: 300))]),
            nlri: [v4("10.0.0.0/24")]))),
        Case(name: "UPDATE with an extended-length COMMUNITIES", message: .update(UpdateMessage(
            attributes: PathAttributes(origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [64500])],
                                       nextHop: IPv4Address(10, 0, 0, 1), communities: Array(0..<100)),
            nlri: [v4("10.0.0.0/24")]))),
    ]

    @Test(arguments: cases, [BGPCodecOptions(fourOctetAS: true), BGPCodecOptions(fourOctetAS: false)])
    func roundTrip(_ testCase: Case, options: BGPCodecOptions) throws {
        let bytes = Wire.encode(testCase.message, options)
        #expect(bytes.count <= 4096)
        #expect(bytes.count == testCase.message.encodedLength(options: options))
        #expect(try Wire.decode(bytes, options) == testCase.message)
    }

    @Test func fourOctetASNsTravelInAS4PathToAnOldSpeaker() throws {
        let path = [ASPathSegment(kind: .sequence, asns: [64500, 4_200_000_000, 65001]),
                    ASPathSegment(kind: .set, asns: [4_200_000_001, 7])]
        let update = BGPMessage.update(UpdateMessage(
            attributes: PathAttributes(origin: .igp, asPath: path, nextHop: IPv4Address(10, 0, 0, 1)),
            nlri: [IPPrefix("10.0.0.0/24")!]))
        let old = BGPCodecOptions(fourOctetAS: false)
        let bytes = Wire.encode(update, old)
        // AS_PATH with AS_TRANS (23456 = 0x5ba0) in 2 octets, then AS4_PATH (type 17, flags 0xc0) with the real path.
        #expect(Wire.hex(bytes).contains("40020e0203fbf45ba0fde901025ba00007"))
        #expect(Wire.hex(bytes).contains("c0111802030000fbf4fa56ea000000fde90102fa56ea0100000007"))
        #expect(try Wire.decode(bytes, old) == update)
    }

    @Test(arguments: [(true, 8), (false, 6)])
    func aggregatorIsKeptRawWithTheSessionsASNSize(fourOctetAS: Bool, length: Int) throws {
        let options = BGPCodecOptions(fourOctetAS: fourOctetAS)
        let aggregator = RawPathAttribute(flags: 0xC0, typeCode: 7, value: Array(repeating: 1, count: length))
        let update = BGPMessage.update(UpdateMessage(attributes: PathAttributes(other: [aggregator])))
        #expect(try Wire.decode(Wire.encode(update, options), options) == update)
    }

    @Test func emptySegmentsAreLeftOut() throws {
        let update = BGPMessage.update(UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: []), ASPathSegment(kind: .sequence, asns: [7])],
            nextHop: IPv4Address(1, 1, 1, 1)), nlri: [IPPrefix("10.0.0.0/8")!]))
        let bytes = Wire.encode(update)
        #expect(bytes.count == update.encodedLength(options: BGPCodecOptions()))
        guard case .update(let decoded) = try Wire.decode(bytes) else { throw WireTestFailure.notAnUpdate }
        #expect(decoded.attributes.asPath == [ASPathSegment(kind: .sequence, asns: [7])])
    }

    @Test func mergeKeepsLeadingASesThatAS4PathLacks() {
        // RFC 6793 §4.2.3: an old speaker prepended 65001 after the AS4_PATH was built.
        let asPath = [ASPathSegment(kind: .sequence, asns: [65001, 64500, 23456])]
        let as4Path = [ASPathSegment(kind: .sequence, asns: [64500, 4_200_000_000])]
        #expect(ASPathSegment.merge(asPath: asPath, as4Path: as4Path)
                == [ASPathSegment(kind: .sequence, asns: [65001, 64500, 4_200_000_000])])
        // Leading confederation segments are kept; they are not counted and never in AS4_PATH.
        let confed = [ASPathSegment(kind: .confedSequence, asns: [65010]), ASPathSegment(kind: .confedSet, asns: [65011]),
                      ASPathSegment(kind: .sequence, asns: [23456])]
        #expect(ASPathSegment.merge(asPath: confed, as4Path: [ASPathSegment(kind: .sequence, asns: [4_200_000_000])])
                == Array(confed.prefix(2)) + [ASPathSegment(kind: .sequence, asns: [4_200_000_000])])
        // A longer AS4_PATH than AS_PATH is ignored.
        #expect(ASPathSegment.merge(asPath: [ASPathSegment(kind: .sequence, asns: [1])], as4Path: as4Path)
                == [ASPathSegment(kind: .sequence, asns: [1])])
    }

    @Test func longSequencesSplitIntoSegmentsOf255() throws {
        let asns = (1...600).map { UInt32($0) }
        let update = BGPMessage.update(UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: asns)], nextHop: IPv4Address(1, 1, 1, 1)),
            nlri: [IPPrefix("10.0.0.0/8")!]))
        guard case .update(let decoded) = try Wire.decode(Wire.encode(update)) else {
            Issue.record("not an UPDATE")
            return
        }
        #expect(decoded.attributes.asPath?.map(\.asns.count) == [255, 255, 90])
        #expect(decoded.attributes.asPath?.flatMap(\.asns) == asns)
    }

    @Test func partialInputDecodesNothingAndConsumesNothing() throws {
        let first = Wire.encode(WireRoundTripTests.cases[8].message)
        let bytes = first + Wire.encode(.keepalive)
        for cut in 0..<first.count {
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            #expect(try BGPMessage.decode(from: &buffer, options: BGPCodecOptions()) == nil)
            #expect(buffer.readerIndex == 0)
        }
        var buffer = ByteBuffer(bytes: bytes)
        #expect(try BGPMessage.decode(from: &buffer, options: BGPCodecOptions()) == WireRoundTripTests.cases[8].message)
        #expect(try BGPMessage.decode(from: &buffer, options: BGPCodecOptions()) == .keepalive)
        #expect(try BGPMessage.decode(from: &buffer, options: BGPCodecOptions()) == nil)
    }

    @Test func extendedMessagesAreAcceptedOnlyWhenNegotiated() throws {
        let update = BGPMessage.update(UpdateMessage(withdrawn: (0..<2000).map {
            IPPrefix(address: .v4(IPv4Address(0x0A00_0000 + UInt32($0) << 8)), length: 24)!
        }))
        let extended = BGPCodecOptions(maxMessageSize: BGPCodecOptions.extendedMaxMessageSize)
        let bytes = Wire.encode(update, extended)
        #expect(bytes.count == 23 + 2000 * 4)
        #expect(try Wire.decode(bytes, extended) == update)
        #expect(Wire.error(bytes)?.action == .sendNotification(NotificationMessage(
            code: .messageHeader, subcode: 2, data: [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)])))
    }

    @Test func shutdownCommunicationIsCutAtACharacterBoundary() {
        let long = String(repeating: "é", count: 200)
        let notification = NotificationMessage.cease(.administrativeShutdown, communication: long)
        #expect(notification.data.first == 254)
        #expect(notification.shutdownCommunication == String(repeating: "é", count: 127))
        #expect(NotificationMessage.cease(.peerDeconfigured, communication: "x").data.isEmpty)
    }
}
