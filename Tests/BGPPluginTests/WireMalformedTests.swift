import LBKernel
import NIOCore
import Testing
@testable import BGPPlugin

/// Malformed messages and the action each calls for: the NOTIFICATION of RFC 4271 §6 (code, subcode, data), or the
/// RFC 7606 action for UPDATE errors.
@Suite struct WireMalformedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var fourOctetAS = true
        var expected: BGPDecodeError.Action
        var testDescription: String { name }
    }

    static func notify(_ code: UInt8, _ subcode: UInt8, _ data: [UInt8] = []) -> BGPDecodeError.Action {
        .sendNotification(NotificationMessage(code: .init(rawValue: code), subcode: subcode, data: data))
    }

    static func attribute(_ flags: UInt8, _ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        [flags, type, UInt8(value.count)] + value
    }

    static let origin = attribute(0x40, 1, [0])
    static let asPath = attribute(0x40, 2, [2, 1, 0, 0, 0xFB, 0xF4])
    static let nextHop = attribute(0x40, 3, [10, 0, 0, 1])
    static let mandatory = origin + asPath + nextHop
    static let nlri: [UInt8] = [24, 10, 0, 0]
    static let marker = [UInt8](repeating: 0xFF, count: 16)
    static let open = Wire.message(type: 1, [4, 0xFB, 0xF4, 0, 90, 10, 0, 0, 1, 0])
    static let mpReachV6: [UInt8] = attribute(0x80, 14, [0, 2, 1, 16] + Array(repeating: 0xFD, count: 16) + [0, 128]
                                                      + Array(repeating: 0x20, count: 16))

    static func openBody(version: UInt8 = 4, asn: UInt16 = 64500, hold: UInt16 = 90, id: [UInt8] = [10, 0, 0, 1],
                         parameters: [UInt8] = []) -> [UInt8] {
        [version, UInt8(asn >> 8), UInt8(asn & 0xFF), UInt8(hold >> 8), UInt8(hold & 0xFF)] + id
            + [UInt8(parameters.count)] + parameters
    }

    static let cases: [Case] = [
        // Header (RFC 4271 §6.1)
        Case(name: "marker not all ones", bytes: [0xFE] + Array(marker.dropFirst()) + [0, 19, 4],
             expected: notify(1, 1)),
        Case(name: "length below 19", bytes: marker + [0, 18, 4], expected: notify(1, 2, [0, 18])),
        Case(name: "length above 4096", bytes: marker + [0x10, 0x01, 2], expected: notify(1, 2, [0x10, 0x01])),
        Case(name: "unknown type", bytes: marker + [0, 19, 9], expected: notify(1, 3, [9])),
        Case(name: "KEEPALIVE of 20 octets", bytes: Wire.message(type: 4, [0]), expected: notify(1, 2, [0, 20])),
        Case(name: "OPEN of 28 octets", bytes: Wire.message(type: 1, Array(repeating: 0, count: 9)),
             expected: notify(1, 2, [0, 28])),
        Case(name: "UPDATE of 22 octets", bytes: Wire.message(type: 2, [0, 0, 0]), expected: notify(1, 2, [0, 22])),
        Case(name: "NOTIFICATION of 20 octets", bytes: Wire.message(type: 3, [6]), expected: notify(1, 2, [0, 20])),
        Case(name: "ROUTE-REFRESH of 22 octets", bytes: Wire.message(type: 5, [0, 1, 0]),
             expected: notify(1, 2, [0, 22])),
        // OPEN (RFC 4271 §6.2, RFC 5492, RFC 7607, RFC 6286)
        Case(name: "OPEN version 3", bytes: Wire.message(type: 1, openBody(version: 3)), expected: notify(2, 1, [0, 4])),
        Case(name: "OPEN AS 0", bytes: Wire.message(type: 1, openBody(asn: 0)), expected: notify(2, 2, [0, 0])),
        Case(name: "OPEN AS 0 in the 4-octet capability",
             bytes: Wire.message(type: 1, openBody(asn: 23456, parameters: [2, 6, 65, 4, 0, 0, 0, 0])),
             expected: notify(2, 2, [0x5B, 0xA0])),
        Case(name: "OPEN hold time 2", bytes: Wire.message(type: 1, openBody(hold: 2)), expected: notify(2, 6)),
        Case(name: "OPEN BGP identifier 0", bytes: Wire.message(type: 1, openBody(id: [0, 0, 0, 0])),
             expected: notify(2, 3)),
        Case(name: "OPEN authentication parameter", bytes: Wire.message(type: 1, openBody(parameters: [1, 1, 0])),
             expected: notify(2, 4)),
        Case(name: "OPEN parameters length beyond the message",
             bytes: Wire.message(type: 1, Array(openBody().dropLast()) + [3, 2, 0]),
             expected: notify(1, 2, [0, 31])),
        Case(name: "OPEN parameter runs past the parameters", bytes: Wire.message(type: 1, openBody(parameters: [2, 5, 2, 0])),
             expected: notify(2, 0)),
        Case(name: "OPEN capability runs past its parameter",
             bytes: Wire.message(type: 1, openBody(parameters: [2, 2, 65, 4])), expected: notify(2, 0)),
        Case(name: "OPEN multiprotocol capability of 3 octets",
             bytes: Wire.message(type: 1, openBody(parameters: [2, 5, 1, 3, 0, 1, 0])), expected: notify(2, 0)),
        Case(name: "OPEN graceful restart of 3 octets",
             bytes: Wire.message(type: 1, openBody(parameters: [2, 5, 64, 3, 0, 1, 0])), expected: notify(2, 0)),
        Case(name: "OPEN extended parameters cut",
             bytes: Wire.message(type: 1, Array(openBody().dropLast()) + [255, 255, 0]), expected: notify(1, 2, [0, 31])),
        // ROUTE-REFRESH (RFC 7313 §5): the data is the whole message.
        Case(name: "BoRR of 24 octets", bytes: Wire.message(type: 5, [0, 1, 1, 1, 9]),
             expected: notify(7, 1, Wire.message(type: 5, [0, 1, 1, 1, 9]))),
        // UPDATE: session reset (RFC 4271 §6.3 as kept by RFC 7606 §3, §5.3, §7.11)
        Case(name: "withdrawn routes length too large", bytes: Wire.message(type: 2, [0, 5, 0, 0]),
             expected: notify(3, 1)),
        Case(name: "total attribute length too large", bytes: Wire.message(type: 2, [0, 0, 0, 9] + origin),
             expected: notify(3, 1)),
        Case(name: "withdrawn /33", bytes: Wire.update(withdrawn: [33, 1, 2, 3, 4, 5]), expected: notify(3, 10)),
        Case(name: "withdrawn prefix cut", bytes: Wire.update(withdrawn: [24, 10, 0]), expected: notify(3, 10)),
        Case(name: "NLRI /33", bytes: Wire.update(attributes: mandatory, nlri: [33, 1, 2, 3, 4, 5]),
             expected: notify(3, 10)),
        Case(name: "NLRI with trailing garbage", bytes: Wire.update(attributes: mandatory, nlri: nlri + [8]),
             expected: notify(3, 10)),
        Case(name: "MP_REACH_NLRI twice", bytes: Wire.update(attributes: mpReachV6 + origin + asPath + mpReachV6),
             expected: notify(3, 1)),
        Case(name: "MP_UNREACH_NLRI twice",
             bytes: Wire.update(attributes: attribute(0x80, 15, [0, 2, 1]) + attribute(0x80, 15, [0, 1, 1])),
             expected: notify(3, 1)),
        Case(name: "MP_REACH_NLRI IPv6 next hop of 4 octets",
             bytes: Wire.update(attributes: origin + asPath + attribute(0x80, 14, [0, 2, 1, 4, 1, 2, 3, 4, 0])),
             expected: notify(3, 9, attribute(0x80, 14, [0, 2, 1, 4, 1, 2, 3, 4, 0]))),
        Case(name: "MP_REACH_NLRI next hop past the end",
             bytes: Wire.update(attributes: attribute(0x80, 14, [0, 2, 1, 16, 1, 2])),
             expected: notify(3, 9, attribute(0x80, 14, [0, 2, 1, 16, 1, 2]))),
        Case(name: "MP_REACH_NLRI of 4 octets", bytes: Wire.update(attributes: attribute(0x80, 14, [0, 2, 1, 0])),
             expected: notify(3, 9, attribute(0x80, 14, [0, 2, 1, 0]))),
        Case(name: "MP_REACH_NLRI /129",
             bytes: Wire.update(attributes: origin + asPath + attribute(0x80, 14, [0, 2, 1, 16] + Array(repeating: 0xFD, count: 16) + [0, 129] + Array(repeating: 0, count: 17))),
             expected: notify(3, 9, attribute(0x80, 14, [0, 2, 1, 16] + Array(repeating: 0xFD, count: 16) + [0, 129] + Array(repeating: 0, count: 17)))),
        Case(name: "MP_REACH_NLRI with trailing garbage",
             bytes: Wire.update(attributes: origin + asPath + attribute(0x80, 14, [0, 2, 1, 16] + Array(repeating: 0xFD, count: 16) + [0, 64, 1])),
             expected: notify(3, 9, attribute(0x80, 14, [0, 2, 1, 16] + Array(repeating: 0xFD, count: 16) + [0, 64, 1]))),
        Case(name: "MP_UNREACH_NLRI of 2 octets", bytes: Wire.update(attributes: attribute(0x80, 15, [0, 2])),
             expected: notify(3, 9, attribute(0x80, 15, [0, 2]))),
        Case(name: "MP_UNREACH_NLRI /33", bytes: Wire.update(attributes: attribute(0x80, 15, [0, 1, 1, 33, 0, 0, 0, 0, 0])),
             expected: notify(3, 9, attribute(0x80, 15, [0, 1, 1, 33, 0, 0, 0, 0, 0]))),
        Case(name: "unrecognised well-known attribute", bytes: Wire.update(attributes: mandatory + attribute(0x40, 50, [1, 2]), nlri: nlri),
             expected: notify(3, 2, attribute(0x40, 50, [1, 2]))),
        Case(name: "session reset wins over treat-as-withdraw",
             bytes: Wire.update(attributes: attribute(0x40, 1, [9]) + asPath + nextHop, nlri: [33, 1, 2, 3, 4, 5]),
             expected: notify(3, 10)),
        // UPDATE: treat-as-withdraw (RFC 7606 §3, §4, §7)
        Case(name: "ORIGIN value 3", bytes: Wire.update(attributes: attribute(0x40, 1, [3]) + asPath + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "ORIGIN of 2 octets", bytes: Wire.update(attributes: attribute(0x40, 1, [0, 0]) + asPath + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "ORIGIN marked optional", bytes: Wire.update(attributes: attribute(0xC0, 1, [0]) + asPath + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "AS_PATH segment type 5",
             bytes: Wire.update(attributes: origin + attribute(0x40, 2, [5, 1, 0, 0, 0, 1]) + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "AS_PATH empty segment", bytes: Wire.update(attributes: origin + attribute(0x40, 2, [2, 0]) + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "AS_PATH segment overrun",
             bytes: Wire.update(attributes: origin + attribute(0x40, 2, [2, 2, 0, 0, 0, 1]) + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "AS_PATH one octet left",
             bytes: Wire.update(attributes: origin + attribute(0x40, 2, [2, 1, 0, 0, 0, 1, 2]) + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "AS_PATH in 2 octets from a 4-octet speaker",
             bytes: Wire.update(attributes: origin + attribute(0x40, 2, [2, 1, 0xFB, 0xF4]) + nextHop, nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "AS_PATH in 4 octets from a 2-octet speaker",
             bytes: Wire.update(attributes: mandatory, nlri: nlri), fourOctetAS: false, expected: .treatAsWithdraw),
        Case(name: "NEXT_HOP of 5 octets",
             bytes: Wire.update(attributes: origin + asPath + attribute(0x40, 3, [1, 2, 3, 4, 5]), nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "MULTI_EXIT_DISC of 3 octets",
             bytes: Wire.update(attributes: mandatory + attribute(0x80, 4, [0, 0, 1]), nlri: nlri), expected: .treatAsWithdraw),
        Case(name: "MULTI_EXIT_DISC marked transitive",
             bytes: Wire.update(attributes: mandatory + attribute(0xC0, 4, [0, 0, 0, 1]), nlri: nlri), expected: .treatAsWithdraw),
        Case(name: "LOCAL_PREF of 0 octets", bytes: Wire.update(attributes: mandatory + attribute(0x40, 5, []), nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "COMMUNITIES of 6 octets",
             bytes: Wire.update(attributes: mandatory + attribute(0xC0, 8, [0, 0, 0, 1, 0, 0]), nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "COMMUNITIES of 0 octets", bytes: Wire.update(attributes: mandatory + attribute(0xC0, 8, []), nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "LARGE_COMMUNITY of 13 octets",
             bytes: Wire.update(attributes: mandatory + attribute(0xC0, 32, Array(repeating: 1, count: 13)), nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "missing ORIGIN", bytes: Wire.update(attributes: asPath + nextHop, nlri: nlri), expected: .treatAsWithdraw),
        Case(name: "missing AS_PATH", bytes: Wire.update(attributes: origin + nextHop, nlri: nlri), expected: .treatAsWithdraw),
        Case(name: "missing NEXT_HOP", bytes: Wire.update(attributes: origin + asPath, nlri: nlri), expected: .treatAsWithdraw),
        Case(name: "missing AS_PATH with MP_REACH_NLRI", bytes: Wire.update(attributes: mpReachV6 + origin),
             expected: .treatAsWithdraw),
        Case(name: "attribute runs past the attributes", bytes: Wire.update(attributes: mandatory + [0xC0, 8, 8, 0, 0, 0, 1]),
             expected: .treatAsWithdraw),
        Case(name: "two octets left in the attributes", bytes: Wire.update(attributes: mandatory + [0xC0, 8], nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "extended-length header cut", bytes: Wire.update(attributes: mandatory + [0xD0, 8, 0], nlri: nlri),
             expected: .treatAsWithdraw),
        Case(name: "treat-as-withdraw wins over attribute-discard",
             bytes: Wire.update(attributes: mandatory + attribute(0x40, 6, [1]) + attribute(0x80, 4, [1]), nlri: nlri),
             expected: .treatAsWithdraw),
        // UPDATE: attribute-discard (RFC 7606 §3, §7.6, §7.7; RFC 6793 §6)
        Case(name: "ATOMIC_AGGREGATE of 1 octet", bytes: Wire.update(attributes: mandatory + attribute(0x40, 6, [1]), nlri: nlri),
             expected: .attributeDiscard),
        Case(name: "AGGREGATOR of 7 octets",
             bytes: Wire.update(attributes: mandatory + attribute(0xC0, 7, Array(repeating: 1, count: 7)), nlri: nlri),
             expected: .attributeDiscard),
        Case(name: "ORIGIN twice", bytes: Wire.update(attributes: mandatory + origin, nlri: nlri), expected: .attributeDiscard),
        Case(name: "AS4_PATH malformed from a 2-octet speaker",
             bytes: Wire.update(attributes: origin + attribute(0x40, 2, [2, 1, 0x5B, 0xA0]) + nextHop
                                    + attribute(0xC0, 17, [2, 1, 0, 1]), nlri: nlri),
             fourOctetAS: false, expected: .attributeDiscard),
        Case(name: "AS4_PATH with a confederation segment",
             bytes: Wire.update(attributes: origin + attribute(0x40, 2, [2, 1, 0x5B, 0xA0]) + nextHop
                                    + attribute(0xC0, 17, [3, 1, 0, 1, 0, 0]), nlri: nlri),
             fourOctetAS: false, expected: .attributeDiscard),
    ]

    @Test(arguments: cases)
    func malformedMessage(_ testCase: Case) {
        let error = Wire.error(testCase.bytes, BGPCodecOptions(fourOctetAS: testCase.fourOctetAS))
        #expect(error?.action == testCase.expected, "\(error.map(String.init(describing:)) ?? "no error")")
    }

    @Test func softErrorsConsumeTheMessageAndCarryWhatWasUsable() throws {
        let bad = Wire.update(attributes: WireMalformedTests.mandatory + WireMalformedTests.attribute(0x40, 6, [1]),
                              nlri: WireMalformedTests.nlri)
        var buffer = ByteBuffer(bytes: bad + Wire.encode(.keepalive))
        #expect(throws: BGPDecodeError.self) { try BGPMessage.decode(from: &buffer, options: BGPCodecOptions()) }
        do {
            var again = ByteBuffer(bytes: bad)
            _ = try BGPMessage.decode(from: &again, options: BGPCodecOptions())
        } catch {
            #expect(error.action == .attributeDiscard)
            #expect(error.update?.nlri == [IPPrefix("10.0.0.0/24")!])
            #expect(error.update?.attributes.origin == .igp)
            #expect(error.update?.attributes.other == [])
        }
        #expect(try BGPMessage.decode(from: &buffer, options: BGPCodecOptions()) == .keepalive)
    }

    @Test func lenientInputsDecode() throws {
        let m = WireMalformedTests.self
        // Host bits after the prefix length are ignored (RFC 4271 §4.3).
        let hostBits = Wire.update(attributes: m.mandatory, nlri: [23, 10, 0, 1])
        guard case .update(let update) = try Wire.decode(hostBits) else { throw WireTestFailure.notAnUpdate }
        #expect(update.nlri == [IPPrefix("10.0.0.0/23")!])
        // The Extended Length bit on a short value is accepted (RFC 4271 §4.3).
        let extended = Wire.update(attributes: [0x50, 1, 0, 1, 0] + m.asPath + m.nextHop, nlri: m.nlri)
        guard case .update(let update2) = try Wire.decode(extended) else { throw WireTestFailure.notAnUpdate }
        #expect(update2.attributes.origin == .igp)
        // An unknown optional attribute is kept; a second copy of it is dropped, reported as attribute-discard.
        let unknown = Wire.update(attributes: m.mandatory + m.attribute(0xC0, 99, [1]), nlri: m.nlri)
        guard case .update(let update3) = try Wire.decode(unknown) else { throw WireTestFailure.notAnUpdate }
        #expect(update3.attributes.other == [RawPathAttribute(flags: 0xC0, typeCode: 99, value: [1])])
        // AS4_PATH from a 4-octet speaker is ignored (RFC 6793 §4.1).
        let as4 = Wire.update(attributes: m.mandatory + m.attribute(0xC0, 17, [2, 1, 0, 0, 0, 1]), nlri: m.nlri)
        guard case .update(let update4) = try Wire.decode(as4) else { throw WireTestFailure.notAnUpdate }
        #expect(update4.attributes.asPath == [ASPathSegment(kind: .sequence, asns: [64500])])
        // An MP_REACH_NLRI of another family is kept raw; an empty MP_UNREACH_NLRI of any family is End-of-RIB.
        let vpn = Wire.update(attributes: m.attribute(0x80, 14, [0, 1, 128, 0, 0]) + m.origin + m.asPath)
        guard case .update(let update5) = try Wire.decode(vpn) else { throw WireTestFailure.notAnUpdate }
        #expect(update5.attributes.other.map(\.typeCode) == [14])
        let eor = Wire.update(attributes: m.attribute(0x80, 15, [0, 1, 128]))
        guard case .update(let update6) = try Wire.decode(eor) else { throw WireTestFailure.notAnUpdate }
        #expect(update6.endOfRIBFamily == AddressFamily(afi: 1, safi: 128))
        // Repeated large communities are removed silently (RFC 8092 §5).
        let large = Wire.update(attributes: m.mandatory + m.attribute(0xC0, 32, Array(repeating: 1, count: 24)), nlri: m.nlri)
        guard case .update(let update7) = try Wire.decode(large) else { throw WireTestFailure.notAnUpdate }
        #expect(update7.attributes.largeCommunities == [LargeCommunity(0x0101_0101, 0x0101_0101, 0x0101_0101)])
        // A normal ROUTE-REFRESH with ORF entries after it decodes (RFC 5291 entries are ignored).
        #expect(try Wire.decode(Wire.message(type: 5, [0, 2, 0, 1, 1, 2, 3])) == .routeRefresh(RouteRefreshMessage(family: .ipv6Unicast)))
        // An OPEN with no parameters but the 2-octet AS_TRANS keeps 23456.
        guard case .open(let open) = try Wire.decode(m.open) else { throw WireTestFailure.notAnUpdate }
        #expect(open.myAS == 64500 && open.holdTime == 90 && open.capabilities.isEmpty)
    }
}

enum WireTestFailure: Error {
    case notAnUpdate
}
