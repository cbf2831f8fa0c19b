import NIOCore

/// The channel handler of one BGP TCP connection: frames the byte stream into messages and reports them, with
/// closure and writability, to the session that owns the connection.
///
/// Received UPDATEs are not passed on one by one: lbd never uses received routes, so consecutive UPDATEs are
/// counted and reported as one ``BGPConnection/Event/updates(count:ignored:)`` (at the latest when a read burst
/// ends), which keeps a peer sending a full table from flooding the session with events. Outbound, the handler
/// passes bytes through; it tracks writability so senders can wait instead of filling the socket buffer.
final class BGPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var decoder: BGPConnectionDecoder
    private let sink: @Sendable (BGPConnection.Event) -> Void
    private var pendingUpdates = 0
    private var pendingIgnored = 0
    private var writabilityWaiters: [EventLoopPromise<Void>] = []
    private var closed = false
    private var context: ChannelHandlerContext?
    private var eventLoop: (any EventLoop)?

    /// Creates a handler that reports to `sink` (called on the channel's event loop).
    init(options: BGPCodecOptions = BGPCodecOptions(), sink: @escaping @Sendable (BGPConnection.Event) -> Void) {
        self.decoder = BGPConnectionDecoder(options: options)
        self.sink = sink
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        failWaiters()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        decoder.append(unwrapInboundIn(data))
        decodeAvailable()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUpdates()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let waiters = writabilityWaiters
            writabilityWaiters = []
            for waiter in waiters { waiter.succeed() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flushUpdates()
        if !closed {
            closed = true
            sink(.closed(nil))
        }
        failWaiters()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        flushUpdates()
        if !closed {
            closed = true
            sink(.closed(error))
        }
        context.close(promise: nil)
    }

    /// Switches the codec to the options negotiated in the OPEN exchange and decodes what waited for them.
    ///
    /// Call it on the channel's event loop.
    func resume(options: BGPCodecOptions) {
        decoder.resume(options: options)
        decodeAvailable()
        flushUpdates()
    }

    /// A future that completes when the channel is writable (at once when it is); it fails when the channel closes.
    ///
    /// Call it on the channel's event loop.
    func writable() -> EventLoopFuture<Void> {
        guard let eventLoop else { preconditionFailure("BGPConnectionHandler.writable() before the handler was added") }
        guard let context, !closed, context.channel.isActive else {
            return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        if context.channel.isWritable { return context.eventLoop.makeSucceededVoidFuture() }
        let promise = context.eventLoop.makePromise(of: Void.self)
        writabilityWaiters.append(promise)
        return promise.futureResult
    }

    /// Writes `messages` (whole encoded BGP messages, back to back) in chunks of whole messages, flushing each
    /// chunk and waiting for writability between them; the future completes when the last byte went to the socket.
    ///
    /// Chunks end on message boundaries, so a KEEPALIVE or NOTIFICATION written meanwhile never splits a message.
    /// Call it on the channel's event loop.
    func writeAll(_ messages: ByteBuffer, chunkSize: Int) -> EventLoopFuture<Void> {
        guard let eventLoop else { preconditionFailure("BGPConnectionHandler.writeAll before the handler was added") }
        let done = eventLoop.makePromise(of: Void.self)
        pump(messages, chunkSize: chunkSize, done: done)
        return done.futureResult
    }

    private func pump(_ messages: ByteBuffer, chunkSize: Int, done: EventLoopPromise<Void>) {
        var rest = messages
        while rest.readableBytes > 0 {
            guard let context, !closed, context.channel.isActive else {
                done.fail(ChannelError.ioOnClosedChannel)
                return
            }
            guard context.channel.isWritable else {
                let loop = context.eventLoop
                let me = NIOLoopBound(self, eventLoop: loop)
                let remaining = rest
                writable().whenComplete { result in
                    switch result {
                    case .success: me.value.pump(remaining, chunkSize: chunkSize, done: done)
                    case .failure(let error): done.fail(error)
                    }
                }
                return
            }
            let length = Self.wholeMessagesLength(in: rest, upTo: chunkSize)
            let chunk = rest.readSlice(length: length)!
            let last = rest.readableBytes == 0
            context.write(wrapOutboundOut(chunk), promise: last ? done : nil)
            context.flush()
        }
        if messages.readableBytes == 0 { done.succeed() }
    }

    /// The length of the longest run of whole messages at the front of `buffer` not longer than `limit` (at least
    /// one message).
    static func wholeMessagesLength(in buffer: ByteBuffer, upTo limit: Int) -> Int {
        var offset = 0
        while offset < buffer.readableBytes {
            guard let length = buffer.getInteger(at: buffer.readerIndex + offset + 16, as: UInt16.self),
                  Int(length) >= BGPCodecOptions.headerSize,
                  offset + Int(length) <= buffer.readableBytes else {
                preconditionFailure("BGPConnectionHandler.writeAll was given bytes that are not whole BGP messages")
            }
            if offset > 0, offset + Int(length) > limit { break }
            offset += Int(length)
        }
        return offset
    }

    private func decodeAvailable() {
        do {
            while let output = try decoder.next() {
                switch output {
                case .message(.update):
                    pendingUpdates += 1
                case .ignoredUpdate:
                    pendingUpdates += 1
                    pendingIgnored += 1
                case .message(let message):
                    flushUpdates()
                    sink(.message(message))
                }
            }
        } catch {
            flushUpdates()
            sink(.decodeError(error))
        }
    }

    private func flushUpdates() {
        guard pendingUpdates > 0 else { return }
        let event = BGPConnection.Event.updates(count: pendingUpdates, ignored: pendingIgnored)
        pendingUpdates = 0
        pendingIgnored = 0
        sink(event)
    }

    private func failWaiters() {
        let waiters = writabilityWaiters
        writabilityWaiters = []
        for waiter in waiters { waiter.fail(ChannelError.ioOnClosedChannel) }
    }
}
