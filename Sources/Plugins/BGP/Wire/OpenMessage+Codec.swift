import NIOCore
import LBKernel

extension OpenMessage {
    /// The optional parameter type that carries capabilities (RFC 5492 §4).
    static let capabilitiesParameter: UInt8 = 2
    /// The Non-Ext OP Type value that, after a Non-Ext OP Len of 255, announces the extended optional parameters
    /// format (RFC 9072 §2).
    static let extendedParametersMarker: UInt8 = 255

    /// Decodes the body after the header (RFC 4271 §4.2) with its optional parameters in the classic or the
    /// RFC 9072 extended format, and checks it as RFC 4271 §6.2 says, except for what needs the session's
    /// configuration (Bad Peer AS against the configured ASN, hold time policy).
    static func decodeBody(_ body: inout ByteBuffer) throws(BGPDecodeError) -> OpenMessage {
        let messageLength = BGPCodecOptions.headerSize + body.readableBytes
        let version = body.readInteger(as: UInt8.self)!
        let myAS16 = body.readInteger(as: UInt16.self)!
        let holdTime = body.readInteger(as: UInt16.self)!
        let identifier = body.readInteger(as: UInt32.self)!
        var parametersLength = Int(body.readInteger(as: UInt8.self)!)
        // RFC 4271 §6.2: an unsupported version is answered with the largest version we support, 2 octets.
        guard version == 4 else {
            throw .notification(.openMessage, NotificationMessage.OpenSubcode.unsupportedVersionNumber.rawValue,
                                data: [0, 4], "OPEN: version \(version), only 4 is supported")
        }
        var extended = false
        if parametersLength == 255, body.getInteger(at: body.readerIndex, as: UInt8.self) == extendedParametersMarker {
            // RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, then a 2-octet Extended Opt. Parm. Length.
            guard body.readableBytes >= 3 else { throw badLength(messageLength, "extended parameter length cut") }
            body.moveReaderIndex(forwardBy: 1)
            parametersLength = Int(body.readInteger(as: UInt16.self)!)
            extended = true
        }
        // The parameters must fill the rest of the message exactly (RFC 4271 §4.2: the length is the total).
        guard parametersLength == body.readableBytes else {
            throw badLength(messageLength,
                            "optional parameters length \(parametersLength) but \(body.readableBytes) octets follow")
        }
        var capabilities: [Capability] = []
        while body.readableBytes > 0 {
            let headerSize = extended ? 3 : 2
            guard body.readableBytes >= headerSize else { throw malformedParameters("a parameter header is cut") }
            let type = body.readInteger(as: UInt8.self)!
            let length = extended ? Int(body.readInteger(as: UInt16.self)!) : Int(body.readInteger(as: UInt8.self)!)
            guard var value = body.readSlice(length: length) else {
                throw malformedParameters("parameter \(type) of \(length) octets runs past the end")
            }
            guard type == capabilitiesParameter else {
                throw .notification(.openMessage,
                                    NotificationMessage.OpenSubcode.unsupportedOptionalParameter.rawValue,
                                    "OPEN: optional parameter type \(type) is not supported (only capabilities, 2)")
            }
            while value.readableBytes > 0 {
                capabilities.append(try Capability.decode(&value))
            }
        }
        var myAS = UInt32(myAS16)
        for case .fourOctetAS(let asn) in capabilities {
            myAS = asn  // RFC 6793 §4.1: the capability carries the real AS.
        }
        // RFC 7607 §2: AS 0 in an OPEN is a Bad Peer AS.
        guard myAS != 0 else {
            throw .notification(.openMessage, NotificationMessage.OpenSubcode.badPeerAS.rawValue,
                                data: [UInt8(myAS16 >> 8), UInt8(truncatingIfNeeded: myAS16)],
                                "OPEN: AS 0 is reserved (RFC 7607)")
        }
        // RFC 4271 §6.2: a hold time of 1 or 2 seconds is unacceptable.
        guard holdTime == 0 || holdTime >= 3 else {
            throw .notification(.openMessage, NotificationMessage.OpenSubcode.unacceptableHoldTime.rawValue,
                                "OPEN: hold time \(holdTime) s (must be 0 or at least 3)")
        }
        // RFC 6286 §2.2: the BGP identifier is a non-zero 32-bit value.
        guard identifier != 0 else {
            throw .notification(.openMessage, NotificationMessage.OpenSubcode.badBGPIdentifier.rawValue,
                                "OPEN: BGP identifier 0.0.0.0")
        }
        return OpenMessage(version: version, myAS: myAS, holdTime: holdTime, bgpIdentifier: IPv4Address(identifier),
                           capabilities: capabilities)
    }

    private static func badLength(_ length: Int, _ why: String) -> BGPDecodeError {
        .notification(.messageHeader, NotificationMessage.HeaderSubcode.badMessageLength.rawValue,
                      data: [UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)],
                      "OPEN: \(why)")
    }

    private static func malformedParameters(_ why: String) -> BGPDecodeError {
        .notification(.openMessage, NotificationMessage.OpenSubcode.unspecific.rawValue, "OPEN: \(why)")
    }

    /// The octets after the Optional Parameters Length field as ``encodeBody(into:)`` writes them, plus the 3
    /// octets of the RFC 9072 extended length when it is used.
    var parametersLength: Int {
        let capabilitiesLength = capabilities.reduce(0) { $0 + 2 + $1.valueLength }
        if capabilities.isEmpty { return 0 }
        return capabilitiesLength + 2 <= 255 ? capabilitiesLength + 2 : 3 + 3 + capabilitiesLength
    }

    /// Appends the body: the 2-octet AS field carries AS_TRANS when `myAS` does not fit (RFC 6793 §4.1), and the
    /// capabilities go into one optional parameter, in the RFC 9072 extended format only when they need it.
    func encodeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(version)
        buffer.writeInteger(myAS <= UInt32(UInt16.max) ? UInt16(myAS) : OpenMessage.asTrans)
        buffer.writeInteger(holdTime)
        buffer.writeInteger(bgpIdentifier.value)
        let capabilitiesLength = capabilities.reduce(0) { $0 + 2 + $1.valueLength }
        if capabilities.isEmpty {
            buffer.writeInteger(UInt8(0))
        } else if capabilitiesLength + 2 <= 255 {
            buffer.writeInteger(UInt8(capabilitiesLength + 2))
            buffer.writeInteger(OpenMessage.capabilitiesParameter)
            buffer.writeInteger(UInt8(capabilitiesLength))
        } else {
            // RFC 9072 §2: 255, 255, the extended length, then parameters with 2-octet lengths.
            buffer.writeInteger(UInt8(255))
            buffer.writeInteger(OpenMessage.extendedParametersMarker)
            buffer.writeInteger(UInt16(capabilitiesLength + 3))
            buffer.writeInteger(OpenMessage.capabilitiesParameter)
            buffer.writeInteger(UInt16(capabilitiesLength))
        }
        for capability in capabilities {
            capability.encode(into: &buffer)
        }
    }
}

extension Capability {
    /// Decodes one capability (code, length, value; RFC 5492 §4); a known code with a value of the wrong size is
    /// an OPEN Message Error.
    static func decode(_ buffer: inout ByteBuffer) throws(BGPDecodeError) -> Capability {
        guard let code = buffer.readInteger(as: UInt8.self), let length = buffer.readInteger(as: UInt8.self),
              var value = buffer.readSlice(length: Int(length))
        else {
            throw .notification(.openMessage, NotificationMessage.OpenSubcode.unspecific.rawValue,
                                "OPEN: a capability runs past the end of its optional parameter")
        }
        let malformed = { (expected: String) -> BGPDecodeError in
            .notification(.openMessage, NotificationMessage.OpenSubcode.unspecific.rawValue,
                          "OPEN: capability \(code) has \(length) octets, expected \(expected)")
        }
        switch code {
        case 1:  // RFC 4760 §8: AFI (2), reserved (1), SAFI (1).
            guard length == 4 else { throw malformed("4") }
            let afi = value.readInteger(as: UInt16.self)!
            value.moveReaderIndex(forwardBy: 1)
            return .multiprotocol(AddressFamily(afi: afi, safi: value.readInteger(as: UInt8.self)!))
        case 2:  // RFC 2918 §2
            guard length == 0 else { throw malformed("0") }
            return .routeRefresh
        case 6:  // RFC 8654 §3
            guard length == 0 else { throw malformed("0") }
            return .extendedMessage
        case 64:  // RFC 4724 §3: flags and restart time (2), then AFI (2), SAFI (1), flags (1) per family.
            guard length >= 2, (length - 2) % 4 == 0 else { throw malformed("2 + 4 per family") }
            let header = value.readInteger(as: UInt16.self)!
            var families: [GracefulRestartCapability.Family] = []
            while value.readableBytes > 0 {
                let afi = value.readInteger(as: UInt16.self)!
                let safi = value.readInteger(as: UInt8.self)!
                let flags = value.readInteger(as: UInt8.self)!
                families.append(.init(family: AddressFamily(afi: afi, safi: safi), forwardingPreserved: flags & 0x80 != 0))
            }
            return .gracefulRestart(GracefulRestartCapability(
                restarting: header & 0x8000 != 0, notification: header & 0x4000 != 0,
                restartTime: header & 0x0FFF, families: families))
        case 65:  // RFC 6793 §3
            guard length == 4 else { throw malformed("4") }
            return .fourOctetAS(value.readInteger(as: UInt32.self)!)
        default:
            return .unknown(code: code, value: Array(value.readableBytesView))
        }
    }

    /// The length of the value on the wire.
    var valueLength: Int {
        switch self {
        case .multiprotocol, .fourOctetAS: 4
        case .routeRefresh, .extendedMessage: 0
        case .gracefulRestart(let gr): 2 + 4 * gr.families.count
        case .unknown(_, let value): value.count
        }
    }

    /// Appends code, length and value. A value over 255 octets is a programmer error.
    func encode(into buffer: inout ByteBuffer) {
        precondition(valueLength <= 255, "capability \(code) has a value of \(valueLength) octets (at most 255)")
        buffer.writeInteger(code)
        buffer.writeInteger(UInt8(valueLength))
        switch self {
        case .multiprotocol(let family):
            buffer.writeInteger(family.afi)
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(family.safi)
        case .routeRefresh, .extendedMessage:
            break
        case .gracefulRestart(let gr):
            let flags: UInt16 = (gr.restarting ? 0x8000 : 0) | (gr.notification ? 0x4000 : 0)
            buffer.writeInteger(flags | gr.restartTime & 0x0FFF)
            for entry in gr.families {
                buffer.writeInteger(entry.family.afi)
                buffer.writeInteger(entry.family.safi)
                buffer.writeInteger(UInt8(entry.forwardingPreserved ? 0x80 : 0))
            }
        case .fourOctetAS(let asn):
            buffer.writeInteger(asn)
        case .unknown(_, let value):
            buffer.writeBytes(value)
        }
    }
}
