import LBKernel
import NIOCore
import Testing
@testable import BGPPlugin

/// UpdatePacker: every message fits, decodes back to exactly the prefixes given, and there are as few as possible.
@Suite struct UpdatePackerTests {
    static let v4Attributes = PathAttributes(origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [64500])],
                                             nextHop: IPv4Address(10, 99, 0, 2))
    static let v6Attributes = PathAttributes(origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [64500])],
                                             mpReach: MPReachNLRI(family: .ipv6Unicast,
                                                                  nextHops: [IPAddress("fd99::2")!], nlri: []))

    /// `count` host routes from 198.18.0.1 or 2001:2::1 up, as the baseline benchmark announces them.
    static func hosts(_ family: IPFamily, _ count: Int) -> [IPPrefix] {
        (0..<count).map { i in
            family == .ipv4
                ? IPPrefix(address: .v4(IPv4Address(0xC612_0001 + UInt32(i))), length: 32)!
                : IPPrefix(address: .v6(IPv6Address(0x2001_0002 << 96 + 1 + UInt128(i))), length: 128)!
        }
    }

    /// Random prefixes of every length of `family`.
    static func mixed(_ family: IPFamily, _ count: Int, seed: UInt64) -> [IPPrefix] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        return (0..<count).map { _ in
            let length = Int(next() % UInt64(family.bitWidth + 1))
            let value = UInt128(next()) << 64 | UInt128(next())
            return IPPrefix(address: IPAddress(family: family, value: value), length: length)!
        }
    }

    /// Decodes every message in `buffer`, checking each fits `options`; returns them.
    static func decodeAll(_ buffer: ByteBuffer, _ options: BGPCodecOptions) throws -> [UpdateMessage] {
        var buffer = buffer
        var messages: [UpdateMessage] = []
        while buffer.readableBytes > 0 {
            let length = Int(buffer.getInteger(at: buffer.readerIndex + 16, as: UInt16.self)!)
            #expect(length <= options.maxMessageSize)
            guard case .update(let update) = try BGPMessage.decode(from: &buffer, options: options) else {
                throw WireTestFailure.notAnUpdate
            }
            messages.append(update)
        }
        return messages
    }

    /// The announced (or withdrawn) prefixes of `messages`, in order.
    static func prefixes(_ messages: [UpdateMessage], announced: Bool) -> [IPPrefix] {
        messages.flatMap { m in
            announced ? m.nlri + (m.attributes.mpReach?.nlri ?? []) : m.withdrawn + (m.attributes.mpUnreach?.withdrawn ?? [])
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var family: IPFamily
        var prefixes: [IPPrefix]
        var options: BGPCodecOptions
        var expectedCount: Int?
        var name: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // 4096 − 23 header and lengths − 20 attributes = 4053 octets: 810 /32s of 5 octets per UPDATE.
        Case(family: .ipv4, prefixes: hosts(.ipv4, 10_000), options: BGPCodecOptions(), expectedCount: 13,
             name: "10,000 IPv4 /32s"),
        // 4096 − 23 − 13 (ORIGIN, AS_PATH) − 4 − 21 (MP_REACH_NLRI header) = 4035 octets: 237 /128s of 17 octets.
        Case(family: .ipv6, prefixes: hosts(.ipv6, 10_000), options: BGPCodecOptions(), expectedCount: 43,
             name: "10,000 IPv6 /128s"),
        Case(family: .ipv4, prefixes: hosts(.ipv4, 100_000), options: BGPCodecOptions(maxMessageSize: 65535),
             expectedCount: 8, name: "100,000 IPv4 /32s in extended messages"),
        Case(family: .ipv4, prefixes: hosts(.ipv4, 1), options: BGPCodecOptions(), expectedCount: 1, name: "one prefix"),
        Case(family: .ipv4, prefixes: [], options: BGPCodecOptions(), expectedCount: 0, name: "no prefixes"),
        Case(family: .ipv4, prefixes: mixed(.ipv4, 3000, seed: 1), options: BGPCodecOptions(), name: "mixed IPv4"),
        Case(family: .ipv6, prefixes: mixed(.ipv6, 3000, seed: 2), options: BGPCodecOptions(), name: "mixed IPv6"),
        Case(family: .ipv4, prefixes: mixed(.ipv4, 300, seed: 3), options: BGPCodecOptions(fourOctetAS: false),
             name: "mixed IPv4, 2-octet AS"),
        Case(family: .ipv6, prefixes: mixed(.ipv6, 300, seed: 4), options: BGPCodecOptions(maxMessageSize: 120),
             name: "tiny messages: MP attribute length in 1 octet"),
        Case(family: .ipv6, prefixes: hosts(.ipv6, 300), options: BGPCodecOptions(maxMessageSize: 316),
             name: "MP attribute right at 255 octets"),
    ]

    @Test(arguments: cases)
    func announcements(_ testCase: Case) throws {
        let family = AddressFamily.unicast(testCase.family)
        var attributes = testCase.family == .ipv4 ? UpdatePackerTests.v4Attributes : UpdatePackerTests.v6Attributes
        attributes.asPath = [ASPathSegment(kind: .sequence, asns: [4_200_000_000])]
        var buffer = ByteBuffer()
        let count = UpdatePacker.encodeAnnouncements(attributes: attributes, family: family,
                                                     prefixes: testCase.prefixes, options: testCase.options,
                                                     into: &buffer)
        let decoded = try UpdatePackerTests.decodeAll(buffer, testCase.options)
        #expect(decoded.count == count)
        #expect(UpdatePackerTests.prefixes(decoded, announced: true) == testCase.prefixes)
        for message in decoded {
            #expect(message.attributes.asPath == attributes.asPath)
            #expect(message.attributes.origin == .igp)
            if testCase.family == .ipv4 {
                #expect(message.attributes.nextHop == attributes.nextHop && message.attributes.mpReach == nil)
            } else {
                #expect(message.nlri.isEmpty && message.attributes.nextHop == nil)
                #expect(message.attributes.mpReach?.nextHops == attributes.mpReach?.nextHops)
            }
        }
        if let expected = testCase.expectedCount { #expect(count == expected) }
        // Minimal: no message could have taken the first prefix of the next one.
        try UpdatePackerTests.expectFull(decoded, testCase.options)
        // The message list encodes to the same bytes.
        let messages = UpdatePacker.announcements(attributes: attributes, family: family, prefixes: testCase.prefixes,
                                                  options: testCase.options)
        var listBuffer = ByteBuffer()
        for message in messages { BGPMessage.update(message).encode(into: &listBuffer, options: testCase.options) }
        #expect(listBuffer == buffer)
    }

    @Test(arguments: cases)
    func withdrawals(_ testCase: Case) throws {
        let family = AddressFamily.unicast(testCase.family)
        var buffer = ByteBuffer()
        let count = UpdatePacker.encodeWithdrawals(family: family, prefixes: testCase.prefixes,
                                                   options: testCase.options, into: &buffer)
        let decoded = try UpdatePackerTests.decodeAll(buffer, testCase.options)
        #expect(decoded.count == count)
        #expect(UpdatePackerTests.prefixes(decoded, announced: false) == testCase.prefixes)
        for message in decoded {
            #expect(message.nlri.isEmpty && message.attributes.mpReach == nil)
            #expect(testCase.family == .ipv4 ? message.attributes == PathAttributes() : message.withdrawn.isEmpty)
            #expect(message.endOfRIBFamily == nil)
        }
        try UpdatePackerTests.expectFull(decoded, testCase.options)
        let messages = UpdatePacker.withdrawals(family: family, prefixes: testCase.prefixes, options: testCase.options)
        var listBuffer = ByteBuffer()
        for message in messages { BGPMessage.update(message).encode(into: &listBuffer, options: testCase.options) }
        #expect(listBuffer == buffer)
    }

    /// Each message but the last is too full to take the next message's first prefix.
    static func expectFull(_ messages: [UpdateMessage], _ options: BGPCodecOptions) throws {
        for (message, next) in zip(messages, messages.dropFirst()) {
            var grown = message
            let first = prefixes([next], announced: true).first ?? prefixes([next], announced: false)[0]
            if grown.attributes.mpReach != nil {
                grown.attributes.mpReach!.nlri.append(first)
            } else if grown.attributes.mpUnreach != nil {
                grown.attributes.mpUnreach!.withdrawn.append(first)
            } else if grown.nlri.isEmpty {
                grown.withdrawn.append(first)
            } else {
                grown.nlri.append(first)
            }
            #expect(grown.encodedLength(options: options) > options.maxMessageSize)
        }
    }

    @Test func withdrawalCountsAreMinimal() {
        // 4096 − 23 = 4073 octets: 814 /32s; IPv6: 4096 − 23 − 4 − 3 = 4066 octets: 239 /128s.
        #expect(UpdatePacker.withdrawals(family: .ipv4Unicast, prefixes: UpdatePackerTests.hosts(.ipv4, 10_000),
                                         options: BGPCodecOptions()).count == 13)
        #expect(UpdatePacker.withdrawals(family: .ipv6Unicast, prefixes: UpdatePackerTests.hosts(.ipv6, 10_000),
                                         options: BGPCodecOptions()).count == 42)
        #expect(UpdatePacker.withdrawals(family: .ipv4Unicast, prefixes: UpdatePackerTests.hosts(.ipv4, 814),
                                         options: BGPCodecOptions()).count == 1)
        #expect(UpdatePacker.withdrawals(family: .ipv4Unicast, prefixes: UpdatePackerTests.hosts(.ipv4, 815),
                                         options: BGPCodecOptions()).count == 2)
    }

    @Test func announcementsCarryEveryAttributeAndDropTheOtherFamilysNextHop() throws {
        var attributes = UpdatePackerTests.v6Attributes
        attributes.nextHop = IPv4Address(1, 1, 1, 1)
        attributes.localPref = 150
        attributes.multiExitDisc = 7
        attributes.setCommunities([.standard(0xFFFF, 0xFF01), .large(64500, 1, 2), .standard(64500, 3)])
        attributes.mpReach?.nextHops.append(IPAddress("fe80::1")!)
        let messages = UpdatePacker.announcements(attributes: attributes, family: .ipv6Unicast,
                                                  prefixes: UpdatePackerTests.hosts(.ipv6, 3), options: BGPCodecOptions())
        #expect(messages.count == 1)
        let sent = messages[0].attributes
        #expect(sent.nextHop == nil && sent.localPref == 150 && sent.multiExitDisc == 7)
        #expect(sent.communities == [PathAttributes.WellKnownCommunity.noExport.rawValue, 0xFBF4_0003])
        #expect(sent.largeCommunities == [LargeCommunity(64500, 1, 2)])
        #expect(sent.mpReach?.nextHops == [IPAddress("fd99::2")!, IPAddress("fe80::1")!])
        var v4 = UpdatePackerTests.v4Attributes
        v4.mpReach = attributes.mpReach
        let v4Messages = UpdatePacker.announcements(attributes: v4, family: .ipv4Unicast,
                                                    prefixes: UpdatePackerTests.hosts(.ipv4, 3), options: BGPCodecOptions())
        #expect(v4Messages.first?.attributes.mpReach == nil)
    }

    @Test func ipv4WithOnlyAnIPv6NextHopGoesInMPReachNLRI() throws {
        var attributes = UpdatePackerTests.v6Attributes
        attributes.mpReach?.family = .ipv4Unicast
        let prefixes = UpdatePackerTests.hosts(.ipv4, 2000)
        var buffer = ByteBuffer()
        let count = UpdatePacker.encodeAnnouncements(attributes: attributes, family: .ipv4Unicast, prefixes: prefixes,
                                                     options: BGPCodecOptions(), into: &buffer)
        let decoded = try UpdatePackerTests.decodeAll(buffer, BGPCodecOptions())
        #expect(decoded.count == count && count == 3)  // 4035 octets of /32s: 807 per UPDATE
        #expect(decoded.allSatisfy { $0.nlri.isEmpty && $0.attributes.mpReach?.family == .ipv4Unicast })
        #expect(decoded.first?.attributes.mpReach?.nextHops == [IPAddress("fd99::2")!])
        #expect(UpdatePackerTests.prefixes(decoded, announced: true) == prefixes)
    }

    @Test func packingOneHundredThousandRoutesIsFast() {
        let prefixes = UpdatePackerTests.hosts(.ipv4, 100_000)
        var buffer = ByteBuffer()
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            UpdatePacker.encodeAnnouncements(attributes: UpdatePackerTests.v4Attributes, family: .ipv4Unicast,
                                             prefixes: prefixes, options: BGPCodecOptions(), into: &buffer)
        }
        #expect(buffer.readableBytes == 100_000 * 5 + 124 * 43)
        // Catches accidental quadratic work, with room for a debug build on a busy machine (alone it takes about
        // 0.05 s in debug; a release build about 1 ms).
        #expect(elapsed < .seconds(10), "packing 100,000 routes took \(elapsed)")
    }
}
