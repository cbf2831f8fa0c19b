import LBKernel
import NIOCore

extension UpdateMessage {
    /// Decodes the body after the header (RFC 4271 §4.3) with the error handling of RFC 7606.
    ///
    /// Session resets are thrown at once. Treat-as-withdraw and attribute-discard errors are thrown only after the
    /// whole message was checked (a later error may be stronger, RFC 7606 §3), with the usable part attached.
    static func decodeBody(_ body: inout ByteBuffer, options: BGPCodecOptions) throws(BGPDecodeError)
        -> UpdateMessage {
        // RFC 4271 §6.3: lengths that run past the message are a Malformed Attribute List (kept by RFC 7606 §3).
        let withdrawnLength = Int(body.readInteger(as: UInt16.self)!)
        guard let withdrawnField = body.readSlice(length: withdrawnLength),
              let attributesLength = body.readInteger(as: UInt16.self).map(Int.init),
              let attributesField = body.readSlice(length: attributesLength)
        else {
            throw .notification(.updateMessage, NotificationMessage.UpdateSubcode.malformedAttributeList.rawValue,
                                "UPDATE: withdrawn routes length \(withdrawnLength) and total path attribute length run "
                                    + "past the message")
        }
        let nlriField = body.readSlice(length: body.readableBytes)!

        // RFC 7606 §3 and §5.3: Withdrawn Routes and NLRI that cannot be parsed reset the session.
        var withdrawn: [IPPrefix] = []
        if let problem = NLRI.read(withdrawnField, family: .ipv4, into: &withdrawn) {
            throw .notification(.updateMessage, NotificationMessage.UpdateSubcode.invalidNetworkField.rawValue,
                                "UPDATE: withdrawn routes: \(problem)")
        }
        var decoded = try PathAttributes.decode(attributesField, options: options)
        var nlri: [IPPrefix] = []
        if let problem = NLRI.read(nlriField, family: .ipv4, into: &nlri) {
            throw .notification(.updateMessage, NotificationMessage.UpdateSubcode.invalidNetworkField.rawValue,
                                "UPDATE: NLRI: \(problem)")
        }

        // RFC 4271 §5 / RFC 4760 §3: ORIGIN and AS_PATH come with any announcement, NEXT_HOP with classic NLRI;
        // a missing one is treat-as-withdraw (RFC 7606 §3 (d)).
        let attributes = decoded.attributes
        let announces = !nlri.isEmpty || !(attributes.mpReach?.nlri.isEmpty ?? true)
        if announces {
            var missing: [String] = []
            if attributes.origin == nil { missing.append("ORIGIN") }
            if attributes.asPath == nil { missing.append("AS_PATH") }
            if !nlri.isEmpty, attributes.nextHop == nil { missing.append("NEXT_HOP") }
            if !missing.isEmpty {
                decoded.note(.treatAsWithdraw, "missing well-known attribute \(missing.joined(separator: ", "))")
            }
        }
        let update = UpdateMessage(withdrawn: withdrawn, attributes: attributes, nlri: nlri)
        if var error = decoded.softError {
            error.update = update
            throw error
        }
        return update
    }

    /// Appends the body: withdrawn routes, path attributes, NLRI. Prefixes in the classic fields must be IPv4.
    func encodeBody(into buffer: inout ByteBuffer, options: BGPCodecOptions) {
        precondition(withdrawn.allSatisfy { $0.family == .ipv4 } && nlri.allSatisfy { $0.family == .ipv4 },
                     "the classic withdrawn and NLRI fields carry IPv4 prefixes only (RFC 4271 §4.3)")
        let withdrawnStart = buffer.writerIndex
        buffer.writeInteger(UInt16(0))
        NLRI.write(withdrawn, into: &buffer)
        buffer.setInteger(UInt16(truncatingIfNeeded: buffer.writerIndex - withdrawnStart - 2), at: withdrawnStart)
        let attributesStart = buffer.writerIndex
        buffer.writeInteger(UInt16(0))
        attributes.encode(into: &buffer, options: options)
        buffer.setInteger(UInt16(truncatingIfNeeded: buffer.writerIndex - attributesStart - 2), at: attributesStart)
        NLRI.write(nlri, into: &buffer)
    }

    /// The length of this UPDATE on the wire, header included.
    public func encodedLength(options: BGPCodecOptions) -> Int {
        BGPCodecOptions.headerSize + 4 + NLRI.size(of: withdrawn) + attributes.encodedLength(options: options)
            + NLRI.size(of: nlri)
    }
}
