import NIOCore

extension UpdateMessage {
    /// Decodes the body after the header (RFC 4271 §4.3).
    static func decodeBody(_ body: inout ByteBuffer, options: BGPCodecOptions) throws(BGPDecodeError)
        -> UpdateMessage {
        preconditionFailure("UPDATE decoding is not implemented yet")
    }

    /// Appends the body.
    func encodeBody(into buffer: inout ByteBuffer, options: BGPCodecOptions) {
        preconditionFailure("UPDATE encoding is not implemented yet")
    }
}
