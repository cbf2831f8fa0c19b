/// The link-layer address options of a neighbor discovery message (RFC 4861 §4.6, §4.6.1); other options
/// (nonce, MTU, …) are skipped.
struct NDPOptions: Hashable, Sendable {
    /// The first Source Link-Layer Address option.
    var sourceLinkLayer: MACAddress?
    /// The first Target Link-Layer Address option.
    var targetLinkLayer: MACAddress?

    /// Option type of the Source Link-Layer Address (RFC 4861 §4.6.1).
    static let sourceLinkLayer: UInt8 = 1
    /// Option type of the Target Link-Layer Address (RFC 4861 §4.6.1).
    static let targetLinkLayer: UInt8 = 2

    /// Reads the options from `offset` to the end of `message`.
    ///
    /// RFC 4861 §4.6: each option is type, length in units of 8 octets (0 is invalid: §7.1.1/§7.1.2 say to
    /// discard the message), then data. For Ethernet a link-layer address option has length 1 (RFC 2464 §8).
    /// Like Linux, the first of duplicated link-layer options counts.
    init(decoding message: [UInt8], from offset: Int) throws(FrameDecodeError) {
        var offset = offset
        while offset < message.count {
            guard message.count - offset >= 2 else {
                throw .truncated(what: "option header at offset \(offset)", needed: 2, available: message.count - offset)
            }
            let type = message[offset], length = message[offset + 1]
            guard length != 0 else { throw .zeroLengthOption(offset: offset) }
            let size = Int(length) * 8
            guard message.count - offset >= size else {
                throw .truncated(what: "option \(type) at offset \(offset)", needed: size,
                                 available: message.count - offset)
            }
            if type == NDPOptions.sourceLinkLayer || type == NDPOptions.targetLinkLayer {
                guard length == 1 else { throw .badLinkLayerOptionLength(type: type, length: length) }
                let mac = message.mac(at: offset + 2)
                if type == NDPOptions.sourceLinkLayer {
                    if sourceLinkLayer == nil { sourceLinkLayer = mac }
                } else if targetLinkLayer == nil {
                    targetLinkLayer = mac
                }
            }
            offset += size
        }
    }
}
