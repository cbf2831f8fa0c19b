// Big-endian reads and writes on byte arrays for the frame codecs. Reads do not check bounds: every decoder checks
// the length it needs before reading (and says which field was cut short when it is not there).

extension [UInt8] {
    /// The big-endian 16-bit value at `offset`.
    func uint16(at offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }

    /// The big-endian 32-bit value at `offset`.
    func uint32(at offset: Int) -> UInt32 {
        self[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The big-endian 128-bit value at `offset`.
    func uint128(at offset: Int) -> UInt128 {
        self[offset..<offset + 16].reduce(0) { $0 << 8 | UInt128($1) }
    }

    /// The MAC address at `offset` (6 octets).
    func mac(at offset: Int) -> MACAddress {
        MACAddress(rawValue: self[offset..<offset + 6].reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Appends `value` big-endian.
    mutating func append(uint16 value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends `value` big-endian.
    mutating func append(uint32 value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
