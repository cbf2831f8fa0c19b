public import LBKernel
public import NIOCore

/// Packs many prefixes that share one attribute set into as few UPDATEs as fit in the session's message size.
///
/// IPv4 prefixes travel in the classic NLRI and Withdrawn Routes fields (with NEXT_HOP); IPv6 prefixes in
/// MP_REACH_NLRI / MP_UNREACH_NLRI, with no NEXT_HOP and no classic NLRI (RFC 4760 §3–4). Sizes are computed, not
/// measured, so packing costs one pass over the prefixes plus the encoding; prefixes go out in the order given,
/// each message holding as many as fit.
public enum UpdatePacker {
    /// Encodes UPDATEs announcing `prefixes` of `family` with `attributes` into `buffer`; returns how many.
    ///
    /// `attributes` must hold ORIGIN and AS_PATH, and either NEXT_HOP (IPv4 only: the prefixes go in the classic
    /// NLRI field and any MP attribute is dropped) or MP_REACH_NLRI with the next hops (its NLRI is ignored; the
    /// prefixes go in it and NEXT_HOP is dropped; for IPv4 this is RFC 8950's IPv6 next hop, which needs the
    /// extended next hop capability). Every prefix must be of `family`'s IP family, and the attributes must leave
    /// room for at least one prefix.
    @discardableResult
    public static func encodeAnnouncements<Prefixes: Collection<IPPrefix>>(
        attributes: PathAttributes, family: AddressFamily, prefixes: Prefixes, options: BGPCodecOptions,
        into buffer: inout ByteBuffer
    ) -> Int {
        Layout(announcing: attributes, family: family, options: options)
            .encodeAll(contiguous(prefixes), into: &buffer)
    }

    /// Encodes UPDATEs withdrawing `prefixes` of `family` into `buffer`; returns how many.
    @discardableResult
    public static func encodeWithdrawals<Prefixes: Collection<IPPrefix>>(
        family: AddressFamily, prefixes: Prefixes, options: BGPCodecOptions, into buffer: inout ByteBuffer
    ) -> Int {
        Layout(withdrawing: family, options: options).encodeAll(contiguous(prefixes), into: &buffer)
    }

    /// The prefixes as an array, without a copy when they are one: the loops then run on concrete types even when
    /// the caller is in another module (where the generic entry points are not specialised).
    private static func contiguous<Prefixes: Collection<IPPrefix>>(_ prefixes: Prefixes) -> ArraySlice<IPPrefix> {
        if let array = prefixes as? [IPPrefix] { return array[...] }
        if let slice = prefixes as? ArraySlice<IPPrefix> { return slice }
        return Array(prefixes)[...]
    }

    /// The UPDATEs announcing `prefixes` of `family` with `attributes`, as ``encodeAnnouncements(attributes:family:prefixes:options:into:)``
    /// encodes them.
    public static func announcements<Prefixes: Collection<IPPrefix>>(
        attributes: PathAttributes, family: AddressFamily, prefixes: Prefixes, options: BGPCodecOptions
    ) -> [UpdateMessage] {
        let layout = Layout(announcing: attributes, family: family, options: options)
        let prefixes = contiguous(prefixes)
        var messages: [UpdateMessage] = []
        var start = prefixes.startIndex
        while start != prefixes.endIndex {
            let (end, _) = layout.nextChunk(prefixes, from: start)
            var message = UpdateMessage(attributes: layout.attributes)
            if layout.multiprotocol {
                message.attributes.mpReach!.nlri = Array(prefixes[start..<end])
            } else {
                message.nlri = Array(prefixes[start..<end])
            }
            messages.append(message)
            start = end
        }
        return messages
    }

    /// The UPDATEs withdrawing `prefixes` of `family`, as ``encodeWithdrawals(family:prefixes:options:into:)``
    /// encodes them.
    public static func withdrawals<Prefixes: Collection<IPPrefix>>(
        family: AddressFamily, prefixes: Prefixes, options: BGPCodecOptions
    ) -> [UpdateMessage] {
        let layout = Layout(withdrawing: family, options: options)
        let prefixes = contiguous(prefixes)
        var messages: [UpdateMessage] = []
        var start = prefixes.startIndex
        while start != prefixes.endIndex {
            let (end, _) = layout.nextChunk(prefixes, from: start)
            if layout.multiprotocol {
                messages.append(UpdateMessage(attributes: PathAttributes(
                    mpUnreach: MPUnreachNLRI(family: family, withdrawn: Array(prefixes[start..<end])))))
            } else {
                messages.append(UpdateMessage(withdrawn: Array(prefixes[start..<end])))
            }
            start = end
        }
        return messages
    }

    /// The fixed part of every message of one batch, and the room left in it for prefixes.
    private struct Layout {
        /// Announcing (NLRI / MP_REACH_NLRI) or withdrawing (Withdrawn Routes / MP_UNREACH_NLRI).
        let announcing: Bool
        /// The prefixes go into an MP attribute rather than a classic field.
        let multiprotocol: Bool
        let family: AddressFamily
        /// The attributes as sent, for ``UpdatePacker/announcements(attributes:family:prefixes:options:)``.
        let attributes: PathAttributes
        /// The encoded attributes other than the MP one.
        let common: ByteBuffer
        /// The MP attribute's value before the prefixes: AFI, SAFI (and next hop length, next hops, reserved).
        let mpValueHeader: ByteBuffer
        /// The room for prefixes when the MP attribute (if any) has a 2-octet length.
        let budget: Int

        init(announcing attributes: PathAttributes, family: AddressFamily, options: BGPCodecOptions) {
            guard let ipFamily = family.ipFamily else { preconditionFailure("UpdatePacker packs IPv4 and IPv6 only") }
            precondition(attributes.origin != nil && attributes.asPath != nil,
                         "an announcement needs ORIGIN and AS_PATH (RFC 4271 §5)")
            var sent = attributes
            sent.mpUnreach = nil
            var header = ByteBuffer()
            // IPv4 with NEXT_HOP goes in the classic NLRI field; IPv4 without it but with MP_REACH_NLRI next hops
            // (an IPv6 next hop, RFC 8950) and IPv6 go in MP_REACH_NLRI.
            let classic = ipFamily == .ipv4 && attributes.nextHop != nil
            if classic {
                sent.mpReach = nil
            } else {
                guard let reach = attributes.mpReach, !reach.nextHops.isEmpty else {
                    preconditionFailure("\(family) NLRI needs NEXT_HOP (IPv4) or MP_REACH_NLRI next hops (RFC 4760 §3)")
                }
                sent.nextHop = nil
                sent.mpReach = MPReachNLRI(family: family, nextHops: reach.nextHops, nlri: [])
                sent.mpReach!.encodeValueHeader(into: &header)
            }
            var rest = sent
            rest.mpReach = nil
            var common = ByteBuffer()
            rest.encode(into: &common, options: options)
            self.init(announcing: true, multiprotocol: !classic, family: family, attributes: sent,
                      common: common, mpValueHeader: header, options: options)
        }

        init(withdrawing family: AddressFamily, options: BGPCodecOptions) {
            guard let ipFamily = family.ipFamily else { preconditionFailure("UpdatePacker packs IPv4 and IPv6 only") }
            var header = ByteBuffer()
            if ipFamily == .ipv6 {
                header.writeInteger(family.afi)
                header.writeInteger(family.safi)
            }
            self.init(announcing: false, multiprotocol: ipFamily == .ipv6, family: family, attributes: PathAttributes(),
                      common: ByteBuffer(), mpValueHeader: header, options: options)
        }

        private init(announcing: Bool, multiprotocol: Bool, family: AddressFamily, attributes: PathAttributes,
                     common: ByteBuffer, mpValueHeader: ByteBuffer, options: BGPCodecOptions) {
            self.announcing = announcing
            self.multiprotocol = multiprotocol
            self.family = family
            self.attributes = attributes
            self.common = common
            self.mpValueHeader = mpValueHeader
            // Header, Withdrawn Routes Length and Total Path Attribute Length: 23 octets (RFC 4271 §4.3).
            let fixed = 23 + common.readableBytes + (multiprotocol ? 4 + mpValueHeader.readableBytes : 0)
            budget = options.maxMessageSize - fixed
            precondition(budget >= NLRI.size(ofLength: family.ipFamily!.bitWidth),
                         "the attributes (\(common.readableBytes) octets) leave no room for a prefix")
        }

        /// Appends the UPDATEs carrying all of `prefixes`; returns how many.
        func encodeAll(_ prefixes: ArraySlice<IPPrefix>, into buffer: inout ByteBuffer) -> Int {
            var count = 0
            var start = prefixes.startIndex
            while start != prefixes.endIndex {
                let (end, bytes) = nextChunk(prefixes, from: start)
                encode(prefixes[start..<end], nlriBytes: bytes, into: &buffer)
                start = end
                count += 1
            }
            return count
        }

        /// The end of the next message's prefixes from `start`, and the octets they take.
        func nextChunk(_ prefixes: ArraySlice<IPPrefix>, from start: Int) -> (Int, Int) {
            let expected = family.ipFamily!
            var bytes = 0
            var index = start
            while index != prefixes.endIndex {
                let prefix = prefixes[index]
                precondition(prefix.family == expected, "\(prefix) is not \(expected)")
                let size = NLRI.size(ofLength: prefix.length)
                // With a 1-octet attribute length (value up to 255 octets) one more octet is free.
                let room = multiprotocol && mpValueHeader.readableBytes + bytes + size <= 255 ? budget + 1 : budget
                guard bytes + size <= room else { break }
                bytes += size
                index += 1
            }
            return (index, bytes)
        }

        /// Appends one UPDATE carrying `prefixes`, which take `nlriBytes` octets.
        func encode(_ prefixes: ArraySlice<IPPrefix>, nlriBytes: Int, into buffer: inout ByteBuffer) {
            let mpValueLength = mpValueHeader.readableBytes + nlriBytes
            let mpLength = multiprotocol ? PathAttributes.headerSize(valueLength: mpValueLength) + mpValueLength : 0
            let attributesLength = common.readableBytes + mpLength
            let length = 23 + attributesLength + (multiprotocol ? 0 : nlriBytes)
            buffer.reserveCapacity(minimumWritableBytes: length)
            buffer.writeInteger(UInt64.max)
            buffer.writeInteger(UInt64.max)
            buffer.writeInteger(UInt16(length))
            buffer.writeInteger(BGPMessage.Kind.update.rawValue)
            if !announcing && !multiprotocol {
                buffer.writeInteger(UInt16(nlriBytes))
                NLRI.write(prefixes, size: nlriBytes, into: &buffer)
                buffer.writeInteger(UInt16(0))
                return
            }
            buffer.writeInteger(UInt16(0))
            buffer.writeInteger(UInt16(attributesLength))
            if multiprotocol {
                let type = announcing ? PathAttributes.TypeCode.mpReachNLRI : .mpUnreachNLRI
                PathAttributes.writeHeader(flags: PathAttributes.sendFlags(type), typeCode: type.rawValue,
                                           valueLength: mpValueLength, into: &buffer)
                buffer.writeImmutableBuffer(mpValueHeader)
                NLRI.write(prefixes, size: nlriBytes, into: &buffer)
                buffer.writeImmutableBuffer(common)
            } else {
                buffer.writeImmutableBuffer(common)
                NLRI.write(prefixes, size: nlriBytes, into: &buffer)
            }
        }
    }
}
