/// The authentication section of a BFD Control packet (RFC 5880 §4.2–§4.4).
///
/// lbd does not authenticate BFD sessions (bfd.AuthType is always 0), so a received packet with one is discarded
/// (§6.8.6); the section is still decoded and checked so that such a packet is reported for the right reason.
public enum BFDAuthentication: Hashable, Sendable {
    /// Type 1, Simple Password (§4.2): a key ID and a 1–16 byte password.
    case simplePassword(keyID: UInt8, password: [UInt8])
    /// Type 2, Keyed MD5 (§4.3): a 16-byte digest.
    case keyedMD5(KeyedDigest)
    /// Type 3, Meticulous Keyed MD5 (§4.3): a 16-byte digest, sequence number incremented on every packet.
    case meticulousKeyedMD5(KeyedDigest)
    /// Type 4, Keyed SHA1 (§4.4): a 20-byte hash.
    case keyedSHA1(KeyedDigest)
    /// Type 5, Meticulous Keyed SHA1 (§4.4): a 20-byte hash, sequence number incremented on every packet.
    case meticulousKeyedSHA1(KeyedDigest)

    /// The fields shared by the MD5 and SHA1 forms (the Reserved byte is zero on send and ignored on receipt).
    public struct KeyedDigest: Hashable, Sendable {
        /// The key that made the digest.
        public var keyID: UInt8
        /// The anti-replay sequence number.
        public var sequenceNumber: UInt32
        /// The digest or hash: 16 bytes for MD5, 20 for SHA1.
        public var digest: [UInt8]

        /// Creates the fields.
        public init(keyID: UInt8, sequenceNumber: UInt32, digest: [UInt8]) {
            self.keyID = keyID
            self.sequenceNumber = sequenceNumber
            self.digest = digest
        }
    }

    /// Simple Password (§4.2).
    public static let simplePasswordType: UInt8 = 1
    /// Keyed MD5 (§4.3).
    public static let keyedMD5Type: UInt8 = 2
    /// Meticulous Keyed MD5 (§4.3).
    public static let meticulousKeyedMD5Type: UInt8 = 3
    /// Keyed SHA1 (§4.4).
    public static let keyedSHA1Type: UInt8 = 4
    /// Meticulous Keyed SHA1 (§4.4).
    public static let meticulousKeyedSHA1Type: UInt8 = 5
    /// The Auth Len of the MD5 forms: type, length, key ID, reserved, sequence number and a 16-byte digest.
    public static let md5Length = 24
    /// The Auth Len of the SHA1 forms: type, length, key ID, reserved, sequence number and a 20-byte hash.
    public static let sha1Length = 28

    /// The Auth Type field.
    public var type: UInt8 {
        switch self {
        case .simplePassword: Self.simplePasswordType
        case .keyedMD5: Self.keyedMD5Type
        case .meticulousKeyedMD5: Self.meticulousKeyedMD5Type
        case .keyedSHA1: Self.keyedSHA1Type
        case .meticulousKeyedSHA1: Self.meticulousKeyedSHA1Type
        }
    }

    /// The Auth Len field: the whole section, type and length bytes included.
    public var length: Int {
        switch self {
        case .simplePassword(_, let password): 3 + password.count
        case .keyedMD5, .meticulousKeyedMD5: Self.md5Length
        case .keyedSHA1, .meticulousKeyedSHA1: Self.sha1Length
        }
    }
}
