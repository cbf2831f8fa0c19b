import Crypto
import LBKernel
@testable import Layer2Plugin

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
