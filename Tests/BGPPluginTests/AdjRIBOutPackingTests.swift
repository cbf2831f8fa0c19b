import LBKernel
import NIOCore
import Testing
@testable import BGPPlugin

@Suite("Adj-RIB-Out changes packed into UPDATEs")
struct AdjRIBOutPackingTests {
    static let v4 = RouteAttributes(asPath: [64500], nextHop: .ipv4(IPv4Address(10, 0, 0, 2)), communities: [1, 2],
                                    largeCommunities: [LargeCommunity(64500, 1, 2)])
    static let v4b = RouteAttributes(asPath: [], nextHop: .ipv4(IPv4Address(10, 0, 0, 2)), localPref: 200)
    static let v6 = RouteAttributes(asPath: [4_200_000_000], nextHop: .ipv6(global: IPv6Address("fd00::2")!,
                                                                             linkLocal: IPv6Address("fe80::2")!))

    /// A table of `count` IPv4 /32s (alternating two attribute sets) and `count / 4` IPv6 /128s.
    static func desired(_ count: Int, from start: Int = 0) -> RouteTable {
        var table = RouteTable()
        let a = table.intern(v4), b = table.intern(v4b), c = table.intern(v6)
        for i in start..<(start + count) {
            table.insert(IPPrefix(address: .v4(IPv4Address(0xC612_0000 | UInt32(i))), length: 32)!,
                         attributeIndex: i % 2 == 0 ? a : b)
            if i % 4 == 0 {
                table.insert(IPPrefix(address: .v6(IPv6Address(0x2001_0002 << 96 | UInt128(i))), length: 128)!,
                             attributeIndex: c)
            }
        }
        return table
    }

    /// Decodes every message of `buffer`, checking each against the size limit.
    static func decodeAll(_ buffer: ByteBuffer, options: BGPCodecOptions) throws -> [UpdateMessage] {
        var buffer = buffer
        var messages: [UpdateMessage] = []
        while buffer.readableBytes > 0 {
            let length = Int(buffer.getInteger(at: buffer.readerIndex + 16, as: UInt16.self)!)
            #expect(length <= options.maxMessageSize)
            guard case .update(let update)? = try BGPMessage.decode(from: &buffer, options: options) else {
                Issue.record("not an UPDATE")
                break
            }
            messages.append(update)
        }
        return messages
    }

    @Test(arguments: [BGPCodecOptions(), BGPCodecOptions(maxMessageSize: BGPCodecOptions.extendedMaxMessageSize)])
    func everyChangeArrivesOnceWithItsAttributes(options: BGPCodecOptions) throws {
        var rib = AdjRIBOut()
        _ = rib.update(to: Self.desired(10_000))
        // Half the prefixes go, 5,000 new ones come.
        let changes = rib.update(to: Self.desired(10_000, from: 5_000))
        #expect(changes.withdrawnCount == 5_000 + 1_250)
        #expect(changes.announcedCount == 5_000 + 1_250)

        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        let count = changes.encode(options: options, into: &buffer)
        let messages = try Self.decodeAll(buffer, options: options)
        #expect(messages.count == count)
        #expect(messages == changes.updateMessages(options: options))

        var announced: [IPPrefix: PathAttributes] = [:]
        var withdrawn: [IPPrefix] = []
        for message in messages {
            withdrawn += message.withdrawn + (message.attributes.mpUnreach?.withdrawn ?? [])
            var attributes = message.attributes
            attributes.mpReach?.nlri = []
            for prefix in message.nlri + (message.attributes.mpReach?.nlri ?? []) { announced[prefix] = attributes }
        }
        #expect(Set(withdrawn) == Set(changes.withdrawals.values.joined()))
        #expect(withdrawn.count == changes.withdrawnCount)
        var expected: [IPPrefix: PathAttributes] = [:]
        for group in changes.announcements {
            for prefix in group.prefixes { expected[prefix] = group.attributes.pathAttributes }
        }
        #expect(announced == expected)
        // Packed, not one prefix per message: standard 4096-octet messages hold hundreds of /32s.
        #expect(messages.count < (options.maxMessageSize > 4096 ? 12 : 40), "\(messages.count) UPDATEs")
    }
}
