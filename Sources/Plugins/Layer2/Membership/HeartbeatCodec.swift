import Crypto

// The heartbeat datagram (UDP, port 7947 by default), version 1. Integers are big-endian (network order).
//
//   offset  octets  field
//   ------  ------  ---------------------------------------------------------------------------------------------
//        0       4  magic: "LBDH" (0x4C 0x42 0x44 0x48)
//        4       1  version: 1
//        5       1  flags: bit 0 (0x01) = leaving; the other bits must be 0
//        6       1  N, the node name's length in octets: 1 to 253
//        7       1  reserved: 0
//        8       8  incarnation: the sender's start time, ns since the Unix epoch
//       16       8  sequence: the beat's number within the incarnation
//       24       8  timestamp: when the beat was sent, ns since the Unix epoch
//       32       4  interval: the sender's beat interval in milliseconds, at least 1
//       36       N  node name, UTF-8
//     36+N      32  HMAC-SHA256 (RFC 2104, FIPS 180-4) with the shared key, over octets 0 ..< 36+N
//
// A datagram is exactly 68 + N octets (69 to 321). Checks, in order, each with its rejection: fewer than 4 octets
// that match the magic so far, or fewer than the header or than 68 + N: `truncated`; another magic: `badMagic`;
// another version: `unsupportedVersion`; N = 0 or octets after the MAC: `malformed`; no key gives the MAC:
// `unauthenticated`; then, authenticated, unknown flags, a reserved octet set, a zero interval or a name that is
// not UTF-8: `malformed`. The MAC is compared in constant time (swift-crypto's `isValidAuthenticationCode`).

/// Seals heartbeats into authenticated datagrams and opens received ones (the format is in the comment above).
///
/// Key rotation: the codec signs with the first key and accepts a MAC made with any of them, so a new key can be
/// added everywhere (second), then moved first everywhere, then the old one removed, without a gap.
public struct HeartbeatCodec: Sendable {
    /// The keys: the first signs, any authenticates.
    public let keys: [HeartbeatKey]

    /// "LBDH".
    public static let magic: [UInt8] = [0x4C, 0x42, 0x44, 0x48]
    /// The format version this codec writes and reads.
    public static let version: UInt8 = 1
    /// The flag bit of ``Heartbeat/leaving``.
    public static let leavingFlag: UInt8 = 0x01
    /// The octets before the node name.
    public static let headerLength = 36
    /// The octets of the MAC (HMAC-SHA256).
    public static let macLength = 32
    /// The longest datagram: a 253-octet node name.
    public static let maximumLength = headerLength + Heartbeat.maximumNodeNameLength + macLength

    /// Creates a codec; `keys` must not be empty.
    public init(keys: [HeartbeatKey]) {
        precondition(!keys.isEmpty, "HeartbeatCodec needs at least one key")
        self.keys = keys
    }

    /// The datagram of `heartbeat`, signed with the first key.
    ///
    /// The node name must satisfy ``Heartbeat/isValidNodeName(_:)`` and the interval be at least 1 ms (a
    /// programmer error otherwise: ``Membership`` checks both before it starts).
    public func seal(_ heartbeat: Heartbeat) -> [UInt8] {
        let name = Array(heartbeat.node.utf8)
        precondition(Heartbeat.isValidNodeName(heartbeat.node), "heartbeat node name must be 1-253 octets")
        precondition(heartbeat.intervalMilliseconds > 0, "heartbeat interval must be at least 1 ms")
        var bytes = Self.magic
        bytes.reserveCapacity(Self.headerLength + name.count + Self.macLength)
        bytes.append(Self.version)
        bytes.append(heartbeat.leaving ? Self.leavingFlag : 0)
        bytes.append(UInt8(name.count))
        bytes.append(0)
        Self.append(heartbeat.incarnation, to: &bytes)
        Self.append(heartbeat.sequence, to: &bytes)
        Self.append(heartbeat.timestamp, to: &bytes)
        Self.append(heartbeat.intervalMilliseconds, to: &bytes)
        bytes += name
        bytes += HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: keys[0].bytes))
        return bytes
    }

    /// The heartbeat in `bytes`, or why the datagram is not one (the checks are listed above this type).
    public func open(_ bytes: [UInt8]) throws(HeartbeatRejection) -> Heartbeat {
        let magicPrefix = min(bytes.count, Self.magic.count)
        guard bytes[0..<magicPrefix].elementsEqual(Self.magic[0..<magicPrefix]) else { throw .badMagic }
        guard bytes.count > Self.magic.count else { throw .truncated }
        guard bytes[4] == Self.version else { throw .unsupportedVersion }
        guard bytes.count >= Self.headerLength else { throw .truncated }
        let nameLength = Int(bytes[6])
        guard nameLength > 0 else { throw .malformed }
        let macOffset = Self.headerLength + nameLength
        let total = macOffset + Self.macLength
        guard bytes.count >= total else { throw .truncated }
        guard bytes.count == total else { throw .malformed }
        let authenticated = bytes[0..<macOffset]
        let mac = bytes[macOffset..<total]
        // SymmetricKey is not Sendable in swift-crypto 3, so the codec keeps the octets and makes keys per use.
        guard keys.contains(where: {
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: authenticated,
                                                   using: SymmetricKey(data: $0.bytes))
        }) else { throw .unauthenticated }

        let flags = bytes[5]
        guard flags & ~Self.leavingFlag == 0, bytes[7] == 0 else { throw .malformed }
        let interval = UInt32(truncatingIfNeeded: Self.integer(bytes, at: 32, octets: 4))
        guard interval > 0 else { throw .malformed }
        guard let node = String(validating: bytes[Self.headerLength..<macOffset], as: UTF8.self) else {
            throw .malformed
        }
        return Heartbeat(node: node, incarnation: Self.integer(bytes, at: 8, octets: 8),
                         sequence: Self.integer(bytes, at: 16, octets: 8),
                         timestamp: Self.integer(bytes, at: 24, octets: 8), intervalMilliseconds: interval,
                         leaving: flags & Self.leavingFlag != 0)
    }

    private static func append(_ value: some FixedWidthInteger, to bytes: inout [UInt8]) {
        let size = value.bitWidth / 8
        for shift in stride(from: (size - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    private static func integer(_ bytes: [UInt8], at offset: Int, octets: Int) -> UInt64 {
        bytes[offset..<(offset + octets)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
