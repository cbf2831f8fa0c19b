import NIOCore

/// Frames a BGP TCP stream into messages with the codec, and switches the codec's options after the OPEN exchange.
///
/// Bytes go in with ``append(_:)``; ``next()`` hands out one decoded message at a time. After an OPEN it stops
/// (returns nil) until ``resume(options:)`` gives it the negotiated options (4-octet AS, extended message size,
/// RFC 6793 and RFC 8654), so no later message is ever decoded with the options from before the exchange. After a
/// decode error that resets the session it decodes nothing more.
struct BGPConnectionDecoder {
    /// What ``next()`` produced.
    enum Output: Equatable, Sendable {
        /// A message, well formed.
        case message(BGPMessage)
        /// An UPDATE with an RFC 7606 error that does not reset the session (treat-as-withdraw or attribute
        /// discard); it counts as received and is ignored, as every received UPDATE is.
        case ignoredUpdate(BGPDecodeError)
    }

    /// The options the next message is decoded with.
    private(set) var options: BGPCodecOptions
    /// True after an OPEN, until ``resume(options:)``.
    private(set) var waitingForOptions = false
    /// True after an error that resets the session: nothing more is decoded.
    private(set) var failed = false
    private var buffer: ByteBuffer?

    /// Creates a decoder with the options in force before the OPEN exchange.
    init(options: BGPCodecOptions = BGPCodecOptions()) {
        self.options = options
    }

    /// Adds bytes read from the connection.
    mutating func append(_ bytes: ByteBuffer) {
        if buffer == nil {
            buffer = bytes
        } else {
            buffer!.writeImmutableBuffer(bytes)
        }
    }

    /// The number of bytes received and not yet decoded.
    var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    /// Switches to the options negotiated in the OPEN exchange and decodes again.
    mutating func resume(options: BGPCodecOptions) {
        self.options = options
        waitingForOptions = false
    }

    /// The next message, or nil when the buffer holds no whole message (or the decoder waits for options).
    ///
    /// Throws the codec's error when it resets the session (RFC 4271 §6: it carries the NOTIFICATION to send);
    /// the decoder is then finished.
    mutating func next() throws(BGPDecodeError) -> Output? {
        guard !failed, !waitingForOptions, var bytes = buffer, bytes.readableBytes > 0 else { return nil }
        buffer = nil  // keep the storage uniquely referenced while the codec reads it
        defer { buffer = Self.compacted(bytes) }
        do {
            guard let message = try BGPMessage.decode(from: &bytes, options: options) else { return nil }
            if case .open = message { waitingForOptions = true }
            return .message(message)
        } catch {
            switch error.action {
            case .treatAsWithdraw, .attributeDiscard:
                return .ignoredUpdate(error)
            case .sendNotification:
                failed = true
                throw error
            }
        }
    }

    /// Drops consumed bytes once they are a good part of the storage, so a long session does not grow it.
    private static func compacted(_ bytes: ByteBuffer) -> ByteBuffer? {
        var bytes = bytes
        if bytes.readableBytes == 0 { return nil }
        if bytes.readerIndex >= 65536 || bytes.readerIndex > bytes.capacity / 2 {
            bytes.discardReadBytes()
        }
        return bytes
    }
}
