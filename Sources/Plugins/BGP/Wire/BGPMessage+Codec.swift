public import NIOCore

// The message header (RFC 4271 §4.1) and the dispatch to each type's body codec. Body codecs live next to their
// types: OpenMessage+Codec.swift, UpdateMessage+Codec.swift, NotificationMessage+Codec.swift.

extension BGPMessage {
    /// Decodes one message from the front of `buffer`, consuming it; returns nil (consuming nothing) while the
    /// buffer holds less than a whole message.
    ///
    /// Throws ``BGPDecodeError`` with the NOTIFICATION to send (RFC 4271 §6) or, for UPDATE errors, the RFC 7606
    /// action; after a treat-as-withdraw or attribute-discard error the message has been consumed (and the error's
    /// ``BGPDecodeError/update`` holds what could be used of it). After a header error nothing is consumed; after
    /// any other NOTIFICATION error the message is consumed. The header is checked as soon as its 19 octets are
    /// there, so a bad length or marker is reported without waiting for the body.
    public static func decode(from buffer: inout ByteBuffer, options: BGPCodecOptions) throws(BGPDecodeError)
        -> BGPMessage? {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= BGPCodecOptions.headerSize else { return nil }
        let (length, kind) = try decodeHeader(buffer, at: start, options: options)
        guard buffer.readableBytes >= length else { return nil }
        var body = buffer.getSlice(at: start + BGPCodecOptions.headerSize,
                                   length: length - BGPCodecOptions.headerSize)!
        buffer.moveReaderIndex(forwardBy: length)
        switch kind {
        case .keepalive:
            return .keepalive
        case .open:
            return .open(try OpenMessage.decodeBody(&body))
        case .update:
            return .update(try UpdateMessage.decodeBody(&body, options: options))
        case .notification:
            return .notification(NotificationMessage.decodeBody(&body))
        case .routeRefresh:
            return .routeRefresh(try RouteRefreshMessage.decodeBody(&body))
        }
    }

    /// Checks the marker, length and type of the header at `index` (RFC 4271 §4.1, §6.1) and returns the message
    /// length and type.
    static func decodeHeader(_ buffer: ByteBuffer, at index: Int, options: BGPCodecOptions)
        throws(BGPDecodeError) -> (length: Int, kind: Kind) {
        // RFC 4271 §6.1: the marker must be all ones, else Connection Not Synchronized.
        guard let high = buffer.getInteger(at: index, as: UInt64.self),
              let low = buffer.getInteger(at: index + 8, as: UInt64.self),
              high == .max, low == .max
        else {
            throw .notification(.messageHeader, NotificationMessage.HeaderSubcode.connectionNotSynchronized.rawValue,
                                "message header: the marker is not all ones")
        }
        let lengthField = buffer.getInteger(at: index + 16, as: UInt16.self)!
        let typeCode = buffer.getInteger(at: index + 18, as: UInt8.self)!
        let length = Int(lengthField)
        // RFC 4271 §6.1: Bad Message Length carries the erroneous Length field as data.
        let badLength = { (why: String) -> BGPDecodeError in
            .notification(.messageHeader, NotificationMessage.HeaderSubcode.badMessageLength.rawValue,
                          data: [UInt8(truncatingIfNeeded: lengthField >> 8), UInt8(truncatingIfNeeded: lengthField)],
                          "message header: length \(length) \(why)")
        }
        guard length >= BGPCodecOptions.headerSize else { throw badLength("is shorter than the 19-octet header") }
        guard let kind = Kind(rawValue: typeCode) else {
            throw .notification(.messageHeader, NotificationMessage.HeaderSubcode.badMessageType.rawValue,
                                data: [typeCode], "message header: type \(typeCode) is not a BGP message type")
        }
        guard length >= kind.minimumLength else {
            throw badLength("is shorter than the minimum \(kind.minimumLength) for \(kind)")
        }
        let maximum = kind.maximumLength(options)
        guard length <= maximum else { throw badLength("exceeds the maximum \(maximum) for \(kind)") }
        return (length, kind)
    }

    /// Appends this message, header included, to `buffer`.
    ///
    /// The caller keeps messages within `options.maxMessageSize` (``UpdatePacker`` does for UPDATEs);
    /// encoding a larger one is a programmer error.
    public func encode(into buffer: inout ByteBuffer, options: BGPCodecOptions) {
        let start = BGPMessage.writeHeader(kind, into: &buffer)
        switch self {
        case .keepalive: break
        case .open(let open): open.encodeBody(into: &buffer)
        case .update(let update): update.encodeBody(into: &buffer, options: options)
        case .notification(let notification): notification.encodeBody(into: &buffer)
        case .routeRefresh(let refresh): refresh.encodeBody(into: &buffer)
        }
        BGPMessage.finishHeader(kind, startingAt: start, in: &buffer, options: options)
    }

    /// The length of this message on the wire, header included: what ``encode(into:options:)`` appends.
    public func encodedLength(options: BGPCodecOptions) -> Int {
        switch self {
        case .keepalive: BGPCodecOptions.headerSize
        case .open(let open): 29 + open.parametersLength
        case .update(let update): update.encodedLength(options: options)
        case .notification(let notification): 21 + notification.data.count
        case .routeRefresh: 23
        }
    }

    /// Writes the marker, a placeholder length and the type; returns where the message starts.
    static func writeHeader(_ kind: Kind, into buffer: inout ByteBuffer) -> Int {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt64.max)
        buffer.writeInteger(UInt64.max)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(kind.rawValue)
        return start
    }

    /// Fills in the length of the message that starts at `start` and ends at the writer index.
    static func finishHeader(_ kind: Kind, startingAt start: Int, in buffer: inout ByteBuffer,
                             options: BGPCodecOptions) {
        let length = buffer.writerIndex - start
        precondition(length <= kind.maximumLength(options),
                     "a \(kind) message of \(length) octets exceeds the maximum \(kind.maximumLength(options))")
        buffer.setInteger(UInt16(length), at: start + 16)
    }
}

extension BGPMessage.Kind: CustomStringConvertible {
    /// The smallest valid length of a message of this type, header included (RFC 4271 §4.2–4.5, RFC 2918 §3).
    public var minimumLength: Int {
        switch self {
        case .open: 29
        case .update: 23
        case .notification: 21
        case .keepalive: 19
        case .routeRefresh: 23
        }
    }

    /// The largest valid length of a message of this type: KEEPALIVE is exactly 19 octets (RFC 4271 §4.4), OPEN
    /// stays within 4096 even with extended messages (RFC 8654 §4), the others within `options.maxMessageSize`.
    public func maximumLength(_ options: BGPCodecOptions) -> Int {
        switch self {
        case .keepalive: BGPCodecOptions.headerSize
        case .open: BGPCodecOptions.standardMaxMessageSize
        case .update, .notification, .routeRefresh: options.maxMessageSize
        }
    }

    /// The type's name as RFC 4271 writes it (`OPEN`, `UPDATE`, ...).
    public var description: String {
        switch self {
        case .open: "OPEN"
        case .update: "UPDATE"
        case .notification: "NOTIFICATION"
        case .keepalive: "KEEPALIVE"
        case .routeRefresh: "ROUTE-REFRESH"
        }
    }
}
