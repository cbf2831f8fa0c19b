import NIOCore

// The wire form of a Control packet (RFC 5880 §4.1):
//
//   byte 0   Vers (3 bits) | Diag (5 bits)
//   byte 1   Sta (2 bits) | P | F | C | A | D | M
//   byte 2   Detect Mult
//   byte 3   Length
//   4-7      My Discriminator
//   8-11     Your Discriminator
//   12-15    Desired Min TX Interval
//   16-19    Required Min RX Interval
//   20-23    Required Min Echo RX Interval
//   24-      Authentication section, when A is set: Auth Type, Auth Len, then per type (§4.2-§4.4)

extension BFDControlPacket {
    private enum Bit {
        static let poll: UInt8 = 0x20
        static let final: UInt8 = 0x10
        static let controlPlaneIndependent: UInt8 = 0x08
        static let authenticationPresent: UInt8 = 0x04
        static let demand: UInt8 = 0x02
        static let multipoint: UInt8 = 0x01
    }

    /// Decodes one UDP payload and applies the checks of RFC 5880 §6.8.6 that need no session: version, lengths,
    /// Detect Mult, the M bit, the discriminators and the shape of the authentication section.
    ///
    /// Bytes after the Length field's end are ignored. The session-dependent checks (Your Discriminator known,
    /// authentication in use, the source address) are the state machine's.
    public static func decode(from datagram: ByteBuffer) throws(BFDPacketError) -> BFDControlPacket {
        let bytes = datagram.readableBytesView
        let count = bytes.count
        guard count >= 4 else {
            throw BFDPacketError(.truncated, "a BFD Control packet has at least 24 bytes; this datagram has \(count)")
        }
        func byte(_ offset: Int) -> UInt8 { bytes[bytes.startIndex + offset] }
        func word(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(byte(offset + $1)) }
        }

        // §6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
        let version = byte(0) >> 5
        guard version == Self.version else {
            throw BFDPacketError(.unsupportedVersion, "Version is \(version); only version 1 exists (RFC 5880 §4.1)")
        }
        let flags = byte(1)
        let hasAuthentication = flags & Bit.authenticationPresent != 0
        // §6.8.6: Length below the minimum (24 without, 26 with authentication), or beyond the UDP payload.
        let length = Int(byte(3))
        let minimum = hasAuthentication ? Self.mandatoryLength + 2 : Self.mandatoryLength
        guard length >= minimum else {
            throw BFDPacketError(
                .lengthTooShort,
                "Length is \(length); the minimum is \(minimum) with the A bit \(hasAuthentication ? "set" : "clear")")
        }
        guard length <= count else {
            throw BFDPacketError(.lengthBeyondDatagram, "Length is \(length) but the UDP payload has \(count) bytes")
        }
        // §6.8.6: "If the Detect Mult field is zero, the packet MUST be discarded."
        let detectMultiplier = byte(2)
        guard detectMultiplier != 0 else {
            throw BFDPacketError(.zeroDetectMultiplier, "Detect Mult is zero")
        }
        // §6.8.6: "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
        guard flags & Bit.multipoint == 0 else {
            throw BFDPacketError(.multipointSet, "the Multipoint (M) bit is set")
        }
        // §6.8.6: "If the My Discriminator field is zero, the packet MUST be discarded."
        let myDiscriminator = word(4)
        guard myDiscriminator != 0 else {
            throw BFDPacketError(.zeroMyDiscriminator, "My Discriminator is zero")
        }
        // §6.8.6: Your Discriminator zero is allowed only in the Down and AdminDown states.
        let state = BFDState(rawValue: flags >> 6)!  // Two bits: every value is a state.
        let yourDiscriminator = word(8)
        guard yourDiscriminator != 0 || state == .down || state == .adminDown else {
            throw BFDPacketError(.zeroYourDiscriminator, "Your Discriminator is zero in state \(state)")
        }
        let authentication = hasAuthentication
            ? try decodeAuthentication(bytes.dropFirst(Self.mandatoryLength).prefix(length - Self.mandatoryLength))
            : nil
        return BFDControlPacket(
            diagnostic: BFDDiagnostic(rawValue: byte(0) & 0x1F)!,  // Five bits: always in range.
            state: state,
            poll: flags & Bit.poll != 0,
            final: flags & Bit.final != 0,
            controlPlaneIndependent: flags & Bit.controlPlaneIndependent != 0,
            demand: flags & Bit.demand != 0,
            detectMultiplier: detectMultiplier,
            myDiscriminator: myDiscriminator,
            yourDiscriminator: yourDiscriminator,
            desiredMinTxInterval: word(12),
            requiredMinRxInterval: word(16),
            requiredMinEchoRxInterval: word(20),
            authentication: authentication)
    }

    /// Decodes the authentication section (§4.2-§4.4) from the bytes between the mandatory section and Length.
    private static func decodeAuthentication(
        _ section: ByteBufferView.SubSequence
    ) throws(BFDPacketError) -> BFDAuthentication {
        let bytes = Array(section)
        let type = bytes[0]
        let authLength = Int(bytes[1])
        guard authLength <= bytes.count else {
            throw BFDPacketError(
                .malformedAuthentication,
                "Auth Len is \(authLength) but Length leaves \(bytes.count) bytes for the authentication section")
        }
        switch type {
        case BFDAuthentication.simplePasswordType:
            // §4.2: Auth Len = 3 + a password of 1 to 16 bytes.
            guard (4...19).contains(authLength) else {
                throw BFDPacketError(
                    .malformedAuthentication,
                    "Simple Password Auth Len is \(authLength); it must be 4-19 (a 1-16 byte password, RFC 5880 §4.2)")
            }
            return .simplePassword(keyID: bytes[2], password: Array(bytes[3..<authLength]))
        case BFDAuthentication.keyedMD5Type, BFDAuthentication.meticulousKeyedMD5Type,
             BFDAuthentication.keyedSHA1Type, BFDAuthentication.meticulousKeyedSHA1Type:
            let isMD5 = type <= BFDAuthentication.meticulousKeyedMD5Type
            let expected = isMD5 ? BFDAuthentication.md5Length : BFDAuthentication.sha1Length
            guard authLength == expected else {
                throw BFDPacketError(
                    .malformedAuthentication,
                    "\(isMD5 ? "MD5" : "SHA1") Auth Len is \(authLength); it must be \(expected) "
                        + "(RFC 5880 §\(isMD5 ? "4.3" : "4.4"))")
            }
            let sequence = bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let digest = BFDAuthentication.KeyedDigest(
                keyID: bytes[2], sequenceNumber: sequence, digest: Array(bytes[8..<expected]))
            switch type {
            case BFDAuthentication.keyedMD5Type: return .keyedMD5(digest)
            case BFDAuthentication.meticulousKeyedMD5Type: return .meticulousKeyedMD5(digest)
            case BFDAuthentication.keyedSHA1Type: return .keyedSHA1(digest)
            default: return .meticulousKeyedSHA1(digest)
            }
        default:
            throw BFDPacketError(.malformedAuthentication, "Auth Type \(type) is reserved (RFC 5880 §4.1 defines 1-5)")
        }
    }

    /// Writes the packet: Version 1, the M bit clear, the A bit and Length from ``authentication``.
    ///
    /// The caller keeps the fields in range; a Simple Password outside 1-16 bytes or a digest of the wrong size is a
    /// programmer error.
    public func encode(into buffer: inout ByteBuffer) {
        var flags = state.rawValue << 6
        if poll { flags |= Bit.poll }
        if final { flags |= Bit.final }
        if controlPlaneIndependent { flags |= Bit.controlPlaneIndependent }
        if authentication != nil { flags |= Bit.authenticationPresent }
        if demand { flags |= Bit.demand }
        buffer.writeInteger(Self.version << 5 | diagnostic.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(detectMultiplier)
        buffer.writeInteger(UInt8(length))
        buffer.writeInteger(myDiscriminator)
        buffer.writeInteger(yourDiscriminator)
        buffer.writeInteger(desiredMinTxInterval)
        buffer.writeInteger(requiredMinRxInterval)
        buffer.writeInteger(requiredMinEchoRxInterval)
        guard let authentication else { return }
        buffer.writeInteger(authentication.type)
        buffer.writeInteger(UInt8(authentication.length))
        switch authentication {
        case .simplePassword(let keyID, let password):
            precondition((1...16).contains(password.count), "a BFD Simple Password has 1-16 bytes (RFC 5880 §4.2)")
            buffer.writeInteger(keyID)
            buffer.writeBytes(password)
        case .keyedMD5(let d), .meticulousKeyedMD5(let d), .keyedSHA1(let d), .meticulousKeyedSHA1(let d):
            precondition(d.digest.count == authentication.length - 8, "a BFD digest has 16 (MD5) or 20 (SHA1) bytes")
            buffer.writeInteger(d.keyID)
            buffer.writeInteger(UInt8(0))  // Reserved.
            buffer.writeInteger(d.sequenceNumber)
            buffer.writeBytes(d.digest)
        }
    }
}
