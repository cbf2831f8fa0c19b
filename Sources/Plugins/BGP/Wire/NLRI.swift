import LBKernel
import NIOCore

/// The prefix encoding shared by the NLRI, Withdrawn Routes, MP_REACH_NLRI and MP_UNREACH_NLRI fields: a length in
/// bits, then just enough octets to hold it (RFC 4271 §4.3, RFC 4760 §5).
enum NLRI {
    /// The octets one prefix of `length` bits takes on the wire.
    @inline(__always)
    static func size(ofLength length: Int) -> Int { 1 + (length + 7) >> 3 }

    /// The octets `prefixes` take on the wire.
    static func size(of prefixes: some Sequence<IPPrefix>) -> Int {
        prefixes.reduce(0) { $0 + size(ofLength: $1.length) }
    }

    /// Appends one prefix.
    @inline(__always)
    static func write(_ prefix: IPPrefix, into buffer: inout ByteBuffer) {
        let length = prefix.length
        let octets = (length + 7) >> 3
        buffer.writeInteger(UInt8(truncatingIfNeeded: length))
        switch prefix.network {
        case .v4(let address):
            if octets == 4 {
                buffer.writeInteger(address.value)
            } else {
                var value = address.value
                for _ in 0..<octets {
                    buffer.writeInteger(UInt8(truncatingIfNeeded: value >> 24))
                    value <<= 8
                }
            }
        case .v6(let address):
            var value = address.value
            var remaining = octets
            if remaining >= 8 {
                buffer.writeInteger(UInt64(truncatingIfNeeded: value >> 64))
                value <<= 64
                remaining -= 8
            }
            if remaining == 8 {
                buffer.writeInteger(UInt64(truncatingIfNeeded: value >> 64))
                return
            }
            for _ in 0..<remaining {
                buffer.writeInteger(UInt8(truncatingIfNeeded: value >> 120))
                value <<= 8
            }
        }
    }

    /// Appends `prefixes`.
    static func write(_ prefixes: some Sequence<IPPrefix>, into buffer: inout ByteBuffer) {
        for prefix in prefixes {
            write(prefix, into: &buffer)
        }
    }

    /// Appends `prefixes`, which take `size` octets, with one capacity check for all of them (the packer's path).
    static func write(_ prefixes: ArraySlice<IPPrefix>, size: Int, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            var offset = 0
            for prefix in prefixes {
                let length = prefix.length
                let octets = (length + 7) >> 3
                out[offset] = UInt8(truncatingIfNeeded: length)
                offset += 1
                switch prefix.network {
                case .v4(let address):
                    if octets == 4 {
                        out.storeBytes(of: address.value.bigEndian, toByteOffset: offset, as: UInt32.self)
                    } else {
                        var value = address.value
                        for index in 0..<octets {
                            out[offset + index] = UInt8(truncatingIfNeeded: value >> 24)
                            value <<= 8
                        }
                    }
                case .v6(let address):
                    if octets == 16 {
                        out.storeBytes(of: address.value.bigEndian, toByteOffset: offset, as: UInt128.self)
                    } else {
                        var value = address.value
                        for index in 0..<octets {
                            out[offset + index] = UInt8(truncatingIfNeeded: value >> 120)
                            value <<= 8
                        }
                    }
                }
                offset += octets
            }
            precondition(offset == size, "the prefixes take \(offset) octets, not \(size)")
            return offset
        }
    }

    /// Decodes every prefix of `family` in `field`; returns why it is not syntactically correct (RFC 7606 §5.3: a
    /// length beyond the family's width, or a prefix running past the end of the field), or nil.
    static func read(_ field: ByteBuffer, family: IPFamily, into prefixes: inout [IPPrefix]) -> String? {
        let width = family.bitWidth
        let view = field.readableBytesView
        var index = view.startIndex
        while index < view.endIndex {
            let length = Int(view[index])
            guard length <= width else {
                return "prefix length \(length) exceeds \(width) at offset \(index - view.startIndex)"
            }
            let octets = (length + 7) >> 3
            guard view.endIndex - index - 1 >= octets else {
                return "a /\(length) prefix runs past the end of the field at offset \(index - view.startIndex)"
            }
            index += 1
            var value: UInt128 = 0
            for offset in 0..<octets {
                value = value << 8 | UInt128(view[index + offset])
            }
            index += octets
            value <<= UInt128((width >> 3 - octets) * 8)
            // IPPrefix clears bits beyond the length (RFC 4271 §4.3: trailing bits are irrelevant).
            prefixes.append(IPPrefix(address: IPAddress(family: family, value: value), length: length)!)
        }
        return nil
    }
}
