import LBKernel
import NIOCore

/// One TCP connection of a BGP session, as the session shell holds it: the channel and its
/// ``BGPConnectionHandler``, usable from any thread.
struct BGPConnection: Sendable, CustomStringConvertible {
    /// Who opened the connection.
    enum Direction: String, Hashable, Sendable {
        /// lbd connected to the peer.
        case outgoing
        /// The peer connected to lbd's listener.
        case incoming
    }

    /// What a connection reports to its session (on the channel's event loop, in order).
    enum Event: Sendable {
        /// A message other than UPDATE.
        case message(BGPMessage)
        /// `count` UPDATEs arrived (counted, never used); `ignored` of them had RFC 7606 errors that do not reset
        /// the session.
        case updates(count: Int, ignored: Int)
        /// A received message was malformed in a way that resets the session (RFC 4271 §6).
        case decodeError(BGPDecodeError)
        /// The connection closed, with the error that closed it if there was one.
        case closed((any Error)?)
    }

    /// This connection's number, unique within the process.
    let id: UInt64
    /// Who opened it.
    let direction: Direction
    /// The channel.
    let channel: any Channel
    private let handler: NIOLoopBound<BGPConnectionHandler>

    /// The size of the chunks ``writeAll(_:)`` hands to the channel.
    static let chunkSize = 256 * 1024

    /// Adds a ``BGPConnectionHandler`` reporting to `sink` to `channel`'s pipeline; call it on the channel's event
    /// loop (in a channel initializer, or once connected).
    static func install(on channel: any Channel, id: UInt64, direction: Direction,
                        sink: @escaping @Sendable (Event) -> Void) throws -> BGPConnection {
        let handler = BGPConnectionHandler(sink: sink)
        try channel.pipeline.syncOperations.addHandler(handler)
        return BGPConnection(id: id, direction: direction, channel: channel,
                             handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    /// The connection whose ``BGPConnectionHandler`` ``install(on:id:direction:sink:)`` added to `channel`; call it
    /// on the channel's event loop.
    static func attached(to channel: any Channel, id: UInt64, direction: Direction) throws -> BGPConnection {
        let handler = try channel.pipeline.syncOperations.handler(type: BGPConnectionHandler.self)
        return BGPConnection(id: id, direction: direction, channel: channel,
                             handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    /// The water marks of the channel's outbound buffer: large enough that bulk UPDATEs flow without stalls, small
    /// enough that a slow peer holds at most about a megabyte per session in memory.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 256 * 1024, high: 1024 * 1024)

    /// The local address of the connection.
    var localAddress: IPAddress? { channel.localAddress.flatMap(IPAddress.init) }
    /// The peer's address.
    var remoteAddress: IPAddress? { channel.remoteAddress.flatMap(IPAddress.init) }

    /// Switches the decoder to the options negotiated in the OPEN exchange (it waits for them after an OPEN).
    func resume(options: BGPCodecOptions) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.resume(options: options) }
    }

    /// Encodes `message` and writes it; the future completes when it went to the socket.
    @discardableResult
    func send(_ message: BGPMessage, options: BGPCodecOptions) -> EventLoopFuture<Void> {
        var buffer = channel.allocator.buffer(capacity: 64)
        message.encode(into: &buffer, options: options)
        return channel.writeAndFlush(buffer)
    }

    /// Writes whole encoded messages in chunks, waiting for writability between them; see
    /// ``BGPConnectionHandler/writeAll(_:chunkSize:)``.
    func writeAll(_ messages: ByteBuffer) -> EventLoopFuture<Void> {
        let handler = self.handler
        return channel.eventLoop.flatSubmit { handler.value.writeAll(messages, chunkSize: Self.chunkSize) }
    }

    /// Closes the connection.
    func close() {
        channel.close(mode: .all, promise: nil)
    }

    /// `outgoing connection 3 10.0.0.1:40000 -> 10.0.0.2:179`, for logs.
    var description: String {
        "\(direction) connection \(id) \(channel.localAddress.map(String.init(describing:)) ?? "?") -> "
            + (channel.remoteAddress.map(String.init(describing:)) ?? "?")
    }
}
