import LBKernel
import Testing
@testable import Layer2Plugin

/// The codec: known-answer vectors (computed with Python's hmac/hashlib, below), round trips, each rejection, key
/// rotation, and property tests with seeded random inputs.
@Suite("Heartbeat codec")
struct HeartbeatCodecTests {
    let codec = HeartbeatCodec(keys: [HeartbeatTestKeys.vector])

    /// The vectors, from:
    /// ```python
    /// import hmac, hashlib, struct
    /// def seal(node, inc, seq, ts, iv, leaving, key):
    ///     n = node.encode()
    ///     b = b"LBDH" + bytes([1, 1 if leaving else 0, len(n), 0]) + struct.pack(">QQQI", inc, seq, ts, iv) + n
    ///     return b + hmac.new(key, b, hashlib.sha256).digest()
    /// seal("n1", 0x0102030405060708, 42, 1700000000000000000, 100, False, b"0123456789abcdef").hex()
    /// seal("node-ä", 1, 2, 3, 5, True, b"0123456789abcdef").hex()
    /// ```
    static let vectors: [(Heartbeat, String)] = [
        (Heartbeat(node: "n1", incarnation: 0x0102_0304_0506_0708, sequence: 42, timestamp: 1_700_000_000_000_000_000,
                   intervalMilliseconds: 100),
         "4c424448010002000102030405060708000000000000002a17979cfe362a0000000000646e318f0047fa9a95b6f06668d7f25663c"
            + "a3eda0a710ebd33304e0d42ff2b17c98a7d"),
        (Heartbeat(node: "node-ä", incarnation: 1, sequence: 2, timestamp: 3, intervalMilliseconds: 5, leaving: true),
         "4c42444801010700000000000000000100000000000000020000000000000003000000056e6f64652dc3a45e3d2b05b3bd617f0525"
            + "35e70b5b121a24154cb368741ade298b27e4c07ef563"),
    ]

    @Test(arguments: vectors)
    func sealsTheKnownAnswer(heartbeat: Heartbeat, hex: String) throws {
        #expect(codec.seal(heartbeat) == heartbeatOctets(hex: hex))
        #expect(try codec.open(heartbeatOctets(hex: hex)) == heartbeat)
    }

    static let samples: [Heartbeat] = [
        Heartbeat(node: "a", incarnation: 0, sequence: 0, timestamp: 0, intervalMilliseconds: 1),
        Heartbeat(node: String(repeating: "x", count: 253), incarnation: .max, sequence: .max, timestamp: .max,
                  intervalMilliseconds: .max, leaving: true),
        Heartbeat(node: "worker-3.example.com", incarnation: 1_760_000_000_123_456_789, sequence: 7,
                  timestamp: 1_760_000_001_000_000_000, intervalMilliseconds: 100),
        Heartbeat(node: "ノード", incarnation: 5, sequence: 6, timestamp: 7, intervalMilliseconds: 60_000),
    ]

    @Test(arguments: samples)
    func roundTrips(heartbeat: Heartbeat) throws {
        let bytes = codec.seal(heartbeat)
        #expect(bytes.count == 68 + heartbeat.node.utf8.count)
        #expect(bytes.count <= HeartbeatCodec.maximumLength)
        #expect(try codec.open(bytes) == heartbeat)
    }

    /// A valid datagram, changed by `edit`, and the rejection expected.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var edit: @Sendable ([UInt8]) -> [UInt8]
        var expected: HeartbeatRejection
        var testDescription: String { name }
    }

    /// Sets octet `index` to `value` and, when `reseal`, recomputes the MAC with the vector key (so the check after
    /// authentication is reached).
    static func setting(_ index: Int, to value: UInt8, reseal: Bool = false) -> @Sendable ([UInt8]) -> [UInt8] {
        { bytes in
            var bytes = bytes
            bytes[index] = value
            return reseal ? resealed(bytes) : bytes
        }
    }

    /// `bytes` with the MAC recomputed over the octets before it.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        let body = Array(bytes.dropLast(HeartbeatCodec.macLength))
        return body + heartbeatMAC(body)
    }

    static let cases: [Case] = [
        Case(name: "empty", edit: { _ in [] }, expected: .truncated),
        Case(name: "magic only", edit: { Array($0.prefix(4)) }, expected: .truncated),
        Case(name: "2 octets of the magic", edit: { Array($0.prefix(2)) }, expected: .truncated),
        Case(name: "header cut", edit: { Array($0.prefix(20)) }, expected: .truncated),
        Case(name: "one octet short", edit: { Array($0.dropLast()) }, expected: .truncated),
        Case(name: "MAC missing", edit: { Array($0.dropLast(32)) }, expected: .truncated),
        Case(name: "other magic", edit: setting(0, to: 0x4D), expected: .badMagic),
        Case(name: "not a heartbeat", edit: { _ in Array("GET / HTTP/1.1\r\n".utf8) }, expected: .badMagic),
        Case(name: "one wrong octet", edit: { _ in [0x00] }, expected: .badMagic),
        Case(name: "version 2", edit: setting(4, to: 2), expected: .unsupportedVersion),
        Case(name: "version 0", edit: setting(4, to: 0), expected: .unsupportedVersion),
        Case(name: "empty name", edit: setting(6, to: 0), expected: .malformed),
        Case(name: "trailing octet", edit: { $0 + [0] }, expected: .malformed),
        Case(name: "name longer than the datagram", edit: setting(6, to: 200), expected: .truncated),
        Case(name: "name shorter than the datagram", edit: setting(6, to: 1), expected: .malformed),
        Case(name: "flipped MAC bit", edit: { var b = $0; b[b.count - 1] ^= 1; return b }, expected: .unauthenticated),
        Case(name: "changed sequence", edit: { var b = $0; b[23] &+= 1; return b }, expected: .unauthenticated),
        Case(name: "leaving flag set", edit: setting(5, to: 1), expected: .unauthenticated),
        Case(name: "unknown flag, sealed", edit: setting(5, to: 0x80, reseal: true), expected: .malformed),
        Case(name: "reserved octet set, sealed", edit: setting(7, to: 1, reseal: true), expected: .malformed),
        Case(name: "zero interval, sealed", edit: { b in
            var b = b
            for i in 32..<36 { b[i] = 0 }
            return resealed(b)
        }, expected: .malformed),
        Case(name: "name not UTF-8, sealed", edit: setting(36, to: 0xFF, reseal: true), expected: .malformed),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) {
        let valid = codec.seal(Heartbeat(node: "n1", incarnation: 1, sequence: 2, timestamp: 3,
                                         intervalMilliseconds: 100))
        #expect(throws: testCase.expected) { try codec.open(testCase.edit(valid)) }
    }

    @Test func aWrongKeyIsUnauthenticated() {
        let sender = HeartbeatCodec(keys: [HeartbeatTestKeys.other])
        let bytes = sender.seal(Heartbeat(node: "n2", incarnation: 1, sequence: 1, timestamp: 1, intervalMilliseconds: 100))
        #expect(throws: HeartbeatRejection.unauthenticated) { try codec.open(bytes) }
    }

    /// Rotation: a node with [new, old] signs with new and still accepts old; a node with [old] rejects new.
    @Test func keyRotationSignsWithTheFirstKeyAndAcceptsAny() throws {
        let heartbeat = Heartbeat(node: "n2", incarnation: 1, sequence: 1, timestamp: 1, intervalMilliseconds: 100)
        let old = HeartbeatCodec(keys: [HeartbeatTestKeys.vector])
        let rotating = HeartbeatCodec(keys: [HeartbeatTestKeys.other, HeartbeatTestKeys.vector])
        let new = HeartbeatCodec(keys: [HeartbeatTestKeys.other])
        #expect(try rotating.open(old.seal(heartbeat)) == heartbeat)
        #expect(try rotating.open(new.seal(heartbeat)) == heartbeat)
        #expect(try new.open(rotating.seal(heartbeat)) == heartbeat)
        #expect(throws: HeartbeatRejection.unauthenticated) { try old.open(rotating.seal(heartbeat)) }
    }

    /// Random datagrams (some starting with the magic and version, to reach the deeper checks) never crash and
    /// are never accepted.
    @Test func randomBytesAreRejected() {
        var generator = SplitMix64(seed: 0x4C42_4448)
        for round in 0..<20_000 {
            let length = Int.random(in: 0...400, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0 && length >= 8 {
                bytes.replaceSubrange(0..<5, with: HeartbeatCodec.magic + [1])
                if round % 4 == 0 { bytes[6] = UInt8(clamping: max(1, length - 68)) }
            }
            #expect(throws: HeartbeatRejection.self) { try codec.open(bytes) }
        }
    }

    /// Any change to a sealed datagram (octets changed, cut, extended) is rejected.
    @Test func mutatedSealedDatagramsAreNeverAccepted() {
        var generator = SplitMix64(seed: 7947)
        for _ in 0..<20_000 {
            let name = String(repeating: "n", count: Int.random(in: 1...253, using: &generator))
            let heartbeat = Heartbeat(node: name, incarnation: generator.next(), sequence: generator.next(),
                                      timestamp: generator.next(),
                                      intervalMilliseconds: UInt32.random(in: 1...UInt32.max, using: &generator),
                                      leaving: Bool.random(using: &generator))
            let sealed = codec.seal(heartbeat)
            var mutated = sealed
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let index = Int.random(in: 0..<mutated.count, using: &generator)
                    mutated[index] ^= UInt8.random(in: 1...255, using: &generator)
                }
            case 2:
                mutated.removeLast(Int.random(in: 1...mutated.count, using: &generator))
            default:
                mutated += (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            }
            #expect(throws: HeartbeatRejection.self, "accepted a mutation of \(heartbeat)") {
                try codec.open(mutated)
            }
        }
    }
}
