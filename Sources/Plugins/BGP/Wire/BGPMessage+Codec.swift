public import NIOCore

extension BGPMessage {
    /// Decodes one message from the front of `buffer`, consuming it; returns nil (consuming nothing) while the
    /// buffer holds less than a whole message.
    ///
    /// Throws ``BGPDecodeError`` with the NOTIFICATION to send (RFC 4271 §6) or, for UPDATE errors, the RFC 7606
    /// action; after a treat-as-withdraw or attribute-discard error the message has been consumed.
    public static func decode(from buffer: inout ByteBuffer, options: BGPCodecOptions) throws(BGPDecodeError)
        -> BGPMessage? {
        preconditionFailure("BGPMessage.decode is not implemented yet")
    }

    /// Appends this message, header included, to `buffer`.
    ///
    /// The caller keeps messages within `options.maxMessageSize` (``UpdatePacker`` does for UPDATEs);
    /// encoding a larger one is a programmer error.
    public func encode(into buffer: inout ByteBuffer, options: BGPCodecOptions) {
        preconditionFailure("BGPMessage.encode is not implemented yet")
    }
}
