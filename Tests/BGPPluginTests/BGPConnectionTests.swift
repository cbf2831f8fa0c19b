import LBKernel
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import BGPPlugin

/// The connection handler on an EmbeddedChannel: framing of split and coalesced messages, the pause after OPEN,
/// UPDATE batching, header errors turned into the NOTIFICATION to send, and chunked writes.
@Suite struct BGPConnectionTests {
    /// Collects what a handler reports.
    final class Sink: Sendable {
        private let events = Mutex<[String]>([])

        var recorded: [String] { events.withLock { $0 } }

        func record(_ event: BGPConnection.Event) {
            let text: String = switch event {
            case .message(let message): "\(message.kind)"
            case .updates(let count, let ignored): "updates \(count) ignored \(ignored)"
            case .decodeError(let error):
                switch error.action {
                case .sendNotification(let n): "error \(n.code.rawValue)/\(n.subcode)"
                case .treatAsWithdraw, .attributeDiscard: "error \(error.action)"
                }
            case .closed: "closed"
            }
            events.withLock { $0.append(text) }
        }
    }

    static let open = BGPMessage.open(OpenMessage(myAS: 64512, holdTime: 90, bgpIdentifier: IPv4Address(10, 0, 0, 1),
                                                  capabilities: [.fourOctetAS(64512), .routeRefresh]))

    static func bytes(_ messages: [BGPMessage], options: BGPCodecOptions = BGPCodecOptions()) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in messages { message.encode(into: &buffer, options: options) }
        return buffer
    }

    func makeChannel() throws -> (EmbeddedChannel, BGPConnectionHandler, Sink) {
        let sink = Sink()
        let handler = BGPConnectionHandler { sink.record($0) }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        return (channel, handler, sink)
    }

    @Test func aMessageSplitIntoSingleBytesIsDecodedOnceWhole() throws {
        let (channel, _, sink) = try makeChannel()
        var buffer = Self.bytes([.keepalive])
        while let byte = buffer.readSlice(length: 1) {
            try channel.writeInbound(byte)
            if buffer.readableBytes > 0 { #expect(sink.recorded.isEmpty) }
        }
        #expect(sink.recorded == ["KEEPALIVE"])
    }

    @Test func coalescedMessagesComeOutInOrderAndWaitForTheOptionsAfterOPEN() throws {
        let (channel, handler, sink) = try makeChannel()
        let notification = BGPMessage.notification(NotificationMessage(code: .cease, subcode: 2))
        try channel.writeInbound(Self.bytes([Self.open, .keepalive, notification]))
        #expect(sink.recorded == ["OPEN"])
        handler.resume(options: BGPCodecOptions(fourOctetAS: true, maxMessageSize: 65535))
        #expect(sink.recorded == ["OPEN", "KEEPALIVE", "NOTIFICATION"])
    }

    @Test func consecutiveUpdatesAreReportedAsOneBatchPerRead() throws {
        let (channel, _, sink) = try makeChannel()
        let eor = BGPMessage.update(.endOfRIB(.ipv4Unicast))
        channel.pipeline.fireChannelRead(Self.bytes([eor, eor, eor, .keepalive, eor]))
        channel.pipeline.fireChannelReadComplete()
        #expect(sink.recorded == ["updates 3 ignored 0", "KEEPALIVE", "updates 1 ignored 0"])
    }

    /// A header with a bad marker, length or type resets the session with the RFC 4271 §6.1 NOTIFICATION, as soon
    /// as the 19 header octets are there.
    @Test(arguments: [
        ("marker", [UInt8](repeating: 0xFF, count: 15) + [0xFE, 0x00, 0x13, 0x04], "error 1/1"),
        ("length above 4096", [UInt8](repeating: 0xFF, count: 16) + [0x13, 0x88, 0x02], "error 1/2"),
        ("length below 19", [UInt8](repeating: 0xFF, count: 16) + [0x00, 0x12, 0x04], "error 1/2"),
        ("type 9", [UInt8](repeating: 0xFF, count: 16) + [0x00, 0x13, 0x09], "error 1/3"),
    ])
    func headerErrorsCarryTheNotification(name: String, header: [UInt8], expected: String) throws {
        let (channel, _, sink) = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: header + [UInt8](repeating: 0, count: 40)))
        #expect(sink.recorded == [expected], "\(name)")
        // Nothing more is decoded after an error that resets the session.
        try channel.writeInbound(Self.bytes([.keepalive]))
        #expect(sink.recorded == [expected], "\(name)")
    }

    @Test func anExtendedLengthIsAcceptedOnlyAfterTheOptionsAllowIt() throws {
        let (channel, handler, sink) = try makeChannel()
        try channel.writeInbound(Self.bytes([Self.open]))
        handler.resume(options: BGPCodecOptions(fourOctetAS: true, maxMessageSize: 65535))
        // A 5000-octet UPDATE header: fine with extended messages (RFC 8654), so the decoder waits for the body.
        try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: 16) + [0x13, 0x88, 0x02]))
        #expect(sink.recorded == ["OPEN"])
    }

    @Test func closingIsReportedOnce() throws {
        let (channel, _, sink) = try makeChannel()
        try channel.close().wait()
        #expect(sink.recorded == ["closed"])
    }

    @Test(arguments: [
        (lengths: [19, 19, 19], limit: 40, expected: 38),
        (lengths: [4096, 19], limit: 1000, expected: 4096),
        (lengths: [23], limit: 23, expected: 23),
        (lengths: [100, 100, 100], limit: 1000, expected: 300),
    ])
    func chunksEndOnMessageBoundaries(lengths: [Int], limit: Int, expected: Int) {
        var buffer = ByteBuffer()
        for length in lengths {
            buffer.writeRepeatingByte(0xFF, count: 16)
            buffer.writeInteger(UInt16(length))
            buffer.writeRepeatingByte(2, count: length - 18)
        }
        #expect(BGPConnectionHandler.wholeMessagesLength(in: buffer, upTo: limit) == expected)
    }

    @Test func writeAllSendsEveryByteInWholeMessageChunks() throws {
        let (channel, handler, _) = try makeChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 179)).wait()
        let messages = Array(repeating: BGPMessage.keepalive, count: 1000)
        let future = handler.writeAll(Self.bytes(messages), chunkSize: 1000)
        try future.wait()
        var total = 0
        while let chunk = try channel.readOutbound(as: ByteBuffer.self) {
            #expect(chunk.readableBytes % 19 == 0 && chunk.readableBytes <= 1000)
            total += chunk.readableBytes
        }
        #expect(total == 19_000)
    }
}
