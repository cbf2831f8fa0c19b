import Crypto
@testable import Layer2Plugin

/// A small seeded generator (HeartbeatRandom), so the property tests replay the same inputs on every run.
struct HeartbeatRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Keys for the heartbeat tests.
enum HeartbeatTestKeys {
    /// The key of the known-answer vectors: the 16 octets "0123456789abcdef".
    static let vector = try! HeartbeatKey("0123456789abcdef")
    /// Another key, for wrong-key and rotation tests.
    static let other = try! HeartbeatKey("another shared key, 32 octets..")
}

/// `hex` as octets (two hex digits each).
func heartbeatOctets(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self),
                                                               radix: 16)! }
}

/// HMAC-SHA256 of `body` with the vector key, as the codec computes it.
func heartbeatMAC(_ body: [UInt8]) -> [UInt8] {
    Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: HeartbeatTestKeys.vector.bytes)))
}
