import NIOCore

extension NotificationMessage {
    /// Decodes the body after the header: code, subcode, data (RFC 4271 §4.5); every code is accepted, since a
    /// NOTIFICATION closes the session whatever it says.
    static func decodeBody(_ body: inout ByteBuffer) -> NotificationMessage {
        let code = body.readInteger(as: UInt8.self)!
        let subcode = body.readInteger(as: UInt8.self)!
        let data = body.readBytes(length: body.readableBytes) ?? []
        return NotificationMessage(code: ErrorCode(rawValue: code), subcode: subcode, data: data)
    }

    /// Appends code, subcode and data.
    func encodeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(code.rawValue)
        buffer.writeInteger(subcode)
        buffer.writeBytes(data)
    }

    /// A Cease NOTIFICATION with an optional shutdown communication (RFC 9003 §2: a length octet and at most 255
    /// octets of UTF-8, sent with Administrative Shutdown or Administrative Reset).
    public static func cease(_ subcode: CeaseSubcode, communication: String = "") -> NotificationMessage {
        var text = Array(communication.utf8)
        if text.count > 255 {
            // Cut at a character boundary so that the text stays valid UTF-8 (RFC 9003 §2).
            var cut = 255
            while cut > 0, text[cut] & 0xC0 == 0x80 { cut -= 1 }
            text = Array(text[..<cut])
        }
        let carriesText = subcode == .administrativeShutdown || subcode == .administrativeReset
        let data: [UInt8] = carriesText && !text.isEmpty ? [UInt8(text.count)] + text : []
        return NotificationMessage(code: .cease, subcode: subcode.rawValue, data: data)
    }

    /// The shutdown communication of a Cease / Administrative Shutdown or Reset (RFC 9003 §2), when the data holds
    /// a well-formed one.
    public var shutdownCommunication: String? {
        guard code == .cease,
              subcode == CeaseSubcode.administrativeShutdown.rawValue
                || subcode == CeaseSubcode.administrativeReset.rawValue,
              let length = data.first, data.count >= 1 + Int(length), length > 0
        else { return nil }
        return String(validating: data[1...Int(length)], as: UTF8.self)
    }
}

extension RouteRefreshMessage {
    /// Decodes the body after the header: AFI, subtype (reserved in RFC 2918), SAFI (RFC 2918 §3, RFC 7313 §3).
    ///
    /// A BoRR or EoRR longer than 23 octets is a ROUTE-REFRESH Message Error carrying the whole message (RFC 7313
    /// §5); octets after a normal request (ORF entries, RFC 5291) are ignored, as lbd does not negotiate ORF.
    static func decodeBody(_ body: inout ByteBuffer) throws(BGPDecodeError) -> RouteRefreshMessage {
        let afi = body.readInteger(as: UInt16.self)!
        let subtype = body.readInteger(as: UInt8.self)!
        let safi = body.readInteger(as: UInt8.self)!
        let message = RouteRefreshMessage(family: AddressFamily(afi: afi, safi: safi), subtype: subtype)
        if body.readableBytes > 0, subtype == 1 || subtype == 2 {
            var whole = ByteBuffer()
            whole.reserveCapacity(BGPCodecOptions.headerSize + 4 + body.readableBytes)
            let start = BGPMessage.writeHeader(.routeRefresh, into: &whole)
            message.encodeBody(into: &whole)
            whole.writeImmutableBuffer(body)
            whole.setInteger(UInt16(whole.writerIndex - start), at: start + 16)
            throw .notification(.routeRefreshMessage,
                                NotificationMessage.RouteRefreshSubcode.invalidMessageLength.rawValue,
                                data: Array(whole.readableBytesView),
                                "ROUTE-REFRESH: subtype \(subtype) with \(body.readableBytes) octets after SAFI")
        }
        body.moveReaderIndex(forwardBy: body.readableBytes)
        return message
    }

    /// Appends AFI, subtype and SAFI.
    func encodeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(family.afi)
        buffer.writeInteger(subtype)
        buffer.writeInteger(family.safi)
    }
}
