import Foundation
import NIOCore
import Testing
@testable import BGPPlugin

/// The payload of a captured packet in Fixtures/bfd (see Fixtures/bfd/README.md for how they were captured).
func bfdFixture(_ name: String) throws -> ByteBuffer {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/bfd/\(name)", withExtension: "bin"))
    return ByteBuffer(bytes: try Data(contentsOf: url))
}

/// Bytes from hex text; spaces are ignored.
func bfdBytes(_ hex: String) -> ByteBuffer {
    let digits = Array(hex.filter { !$0.isWhitespace })
    let bytes = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    return ByteBuffer(bytes: bytes)
}

/// FRR's discriminators in the captured session: bfdd at 10.201.0.2 and bfdd at 10.201.0.1.
let frrB: UInt32 = 0xEF75_AFB6
let frrA: UInt32 = 0x238D_9892

@Suite struct BFDControlPacketTests {
    /// Every packet kind FRR 8.4's bfdd sent in the captured session, and what it means.
    static let captured: [(String, BFDControlPacket)] = [
        ("frr-down", BFDControlPacket(
            state: .down, detectMultiplier: 3, myDiscriminator: frrB, desiredMinTxInterval: 1_000_000,
            requiredMinRxInterval: 1_000_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-init", BFDControlPacket(
            state: .initializing, detectMultiplier: 3, myDiscriminator: frrA, yourDiscriminator: frrB,
            desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 1_000_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-up-poll", BFDControlPacket(
            state: .up, poll: true, detectMultiplier: 3, myDiscriminator: frrB, yourDiscriminator: frrA,
            desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-up-final", BFDControlPacket(
            state: .up, final: true, detectMultiplier: 3, myDiscriminator: frrB, yourDiscriminator: frrA,
            desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-up", BFDControlPacket(
            state: .up, detectMultiplier: 3, myDiscriminator: frrB, yourDiscriminator: frrA,
            desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-up-poll-new-timers", BFDControlPacket(
            state: .up, poll: true, detectMultiplier: 3, myDiscriminator: frrA, yourDiscriminator: frrB,
            desiredMinTxInterval: 500_000, requiredMinRxInterval: 400_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-admin-down", BFDControlPacket(
            state: .adminDown, detectMultiplier: 3, myDiscriminator: frrA, yourDiscriminator: frrB,
            desiredMinTxInterval: 500_000, requiredMinRxInterval: 400_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-down-neighbor-signaled", BFDControlPacket(
            diagnostic: .neighborSignaledSessionDown, state: .down, detectMultiplier: 3, myDiscriminator: frrB,
            desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-init-after-neighbor-down", BFDControlPacket(
            diagnostic: .neighborSignaledSessionDown, state: .initializing, detectMultiplier: 3,
            myDiscriminator: frrB, yourDiscriminator: frrA, desiredMinTxInterval: 1_000_000,
            requiredMinRxInterval: 1_000_000, requiredMinEchoRxInterval: 50_000)),
        ("frr-down-detection-expired", BFDControlPacket(
            diagnostic: .controlDetectionTimeExpired, state: .down, detectMultiplier: 3, myDiscriminator: frrB,
            desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000, requiredMinEchoRxInterval: 50_000)),
    ]

    @Test(arguments: captured)
    func decodesWhatFRRSent(name: String, expected: BFDControlPacket) throws {
        let packet = try BFDControlPacket.decode(from: try bfdFixture(name))
        #expect(packet == expected)
    }

    @Test(arguments: captured.map(\.0))
    func reEncodesFRRsBytesExactly(name: String) throws {
        let bytes = try bfdFixture(name)
        var encoded = ByteBuffer()
        try BFDControlPacket.decode(from: bytes).encode(into: &encoded)
        #expect(encoded == bytes)
    }

    /// Valid packets with authentication sections (RFC 5880 §4.2-§4.4); FRR 8.4 has no BFD authentication, so
    /// these are built from the RFC's layouts.
    static let authenticated: [(String, BFDAuthentication)] = [
        ("0106 02 616263", .simplePassword(keyID: 2, password: Array("abc".utf8))),
        ("0113 07 " + String(repeating: "70", count: 16), .simplePassword(keyID: 7, password: .init(repeating: 0x70, count: 16))),
        ("0218 09 00 00000101 " + String(repeating: "aa", count: 16), .keyedMD5(.init(
            keyID: 9, sequenceNumber: 257, digest: .init(repeating: 0xAA, count: 16)))),
        ("0318 09 00 ffffffff " + String(repeating: "bb", count: 16), .meticulousKeyedMD5(.init(
            keyID: 9, sequenceNumber: .max, digest: .init(repeating: 0xBB, count: 16)))),
        ("041c 01 00 00000002 " + String(repeating: "cc", count: 20), .keyedSHA1(.init(
            keyID: 1, sequenceNumber: 2, digest: .init(repeating: 0xCC, count: 20)))),
        ("051c 01 00 00000003 " + String(repeating: "dd", count: 20), .meticulousKeyedSHA1(.init(
            keyID: 1, sequenceNumber: 3, digest: .init(repeating: 0xDD, count: 20)))),
    ]

    @Test(arguments: authenticated)
    func authenticationSectionsRoundTrip(section: String, authentication: BFDAuthentication) throws {
        let length = 24 + authentication.length
        let hex = "20c4 03 \(String(length, radix: 16)) 00000001 00000002 000493e0 000493e0 00000000 " + section
        let packet = try BFDControlPacket.decode(from: bfdBytes(hex))
        #expect(packet.authentication == authentication)
        #expect(packet.length == length)
        var encoded = ByteBuffer()
        packet.encode(into: &encoded)
        #expect(encoded == bfdBytes(hex))
    }

    /// Datagrams that RFC 5880 §6.8.6 discards before any session is looked at.
    static let invalid: [(String, String, BFDDiscardReason)] = [
        ("empty", "", .truncated),
        ("three bytes", "20c003", .truncated),
        ("version 0", "00c00318 00000001 00000002 000493e0 000493e0 00000000", .unsupportedVersion),
        ("version 2", "40c00318 00000001 00000002 000493e0 000493e0 00000000", .unsupportedVersion),
        ("length 23", "20c00317 00000001 00000002 000493e0 000493e0 00000000", .lengthTooShort),
        ("length 25 with A", "20c40319 00000001 00000002 000493e0 000493e0 00000000 0104", .lengthTooShort),
        ("length beyond payload", "20c0031c 00000001 00000002 000493e0 000493e0 00000000", .lengthBeyondDatagram),
        ("short payload", "20c00318 00000001 00000002 000493e0 000493e0", .lengthBeyondDatagram),
        ("detect mult 0", "20c00018 00000001 00000002 000493e0 000493e0 00000000", .zeroDetectMultiplier),
        ("multipoint", "20c10318 00000001 00000002 000493e0 000493e0 00000000", .multipointSet),
        ("my discriminator 0", "20c00318 00000000 00000002 000493e0 000493e0 00000000", .zeroMyDiscriminator),
        ("your 0 in Up", "20c00318 00000001 00000000 000493e0 000493e0 00000000", .zeroYourDiscriminator),
        ("your 0 in Init", "20800318 00000001 00000000 000493e0 000493e0 00000000", .zeroYourDiscriminator),
        ("auth type 0", "20c4031c 00000001 00000002 000493e0 000493e0 00000000 0004 0000", .malformedAuthentication),
        ("auth type 6", "20c4031c 00000001 00000002 000493e0 000493e0 00000000 0604 0000", .malformedAuthentication),
        ("auth len past Length", "20c4031c 00000001 00000002 000493e0 000493e0 00000000 0105 0161", .malformedAuthentication),
        ("password empty", "20c4031b 00000001 00000002 000493e0 000493e0 00000000 0103 01", .malformedAuthentication),
        ("MD5 too short", "20c4031c 00000001 00000002 000493e0 000493e0 00000000 0204 0100", .malformedAuthentication),
        ("SHA1 with MD5 length", "20c40330 00000001 00000002 000493e0 000493e0 00000000 0418 0100 00000001 "
            + String(repeating: "00", count: 16), .malformedAuthentication),
    ]

    @Test(arguments: invalid)
    func discardsInvalidPackets(name: String, hex: String, reason: BFDDiscardReason) {
        let error = #expect(throws: BFDPacketError.self, "\(name)") { try BFDControlPacket.decode(from: bfdBytes(hex)) }
        #expect(error?.reason == reason, "\(name): \(String(describing: error))")
    }

    @Test func acceptsZeroYourDiscriminatorInDownAndAdminDown() throws {
        for state in ["40", "00"] {
            let packet = try BFDControlPacket.decode(from: bfdBytes("20\(state)0318 00000001 00000000 000f4240 000f4240 00000000"))
            #expect(packet.yourDiscriminator == 0)
        }
    }

    @Test func ignoresBytesAfterLength() throws {
        let packet = try BFDControlPacket.decode(from: bfdBytes("20c00318 00000001 00000002 000493e0 000493e0 00000000 ffff"))
        #expect(packet.state == .up && packet.length == 24)
    }

    @Test func keepsReservedDiagnostics() throws {
        let packet = try BFDControlPacket.decode(from: bfdBytes("3f400318 00000001 00000000 000f4240 000f4240 00000000"))
        #expect(packet.diagnostic.rawValue == 31)
        #expect(packet.diagnostic.description == "reserved (31)")
    }

    @Test(arguments: [
        (BFDControlPacket(state: .up, poll: true, detectMultiplier: 3, myDiscriminator: 1, yourDiscriminator: 2,
                          desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000),
         "20e00318 00000001 00000002 000493e0 000493e0 00000000"),
        (BFDControlPacket(diagnostic: .administrativelyDown, state: .adminDown, final: true,
                          controlPlaneIndependent: true, demand: true, detectMultiplier: 255, myDiscriminator: .max,
                          yourDiscriminator: 7, desiredMinTxInterval: 1, requiredMinRxInterval: 0),
         "271aff18 ffffffff 00000007 00000001 00000000 00000000"),
    ])
    func encodesFlagsAndFields(packet: BFDControlPacket, hex: String) throws {
        var encoded = ByteBuffer()
        packet.encode(into: &encoded)
        #expect(encoded == bfdBytes(hex))
        #expect(try BFDControlPacket.decode(from: encoded) == packet)
    }

    /// Random datagrams and FRR's packets with random bytes changed: every one decodes or is refused with a reason
    /// (never a trap), and whatever decodes encodes back to the bytes it was decoded from.
    @Test func neverTrapsOnArbitraryBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let seeds = try Self.captured.map { try Array(bfdFixture($0.0).readableBytesView) }
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = seeds[round / 2 % seeds.count] + (0..<Int.random(in: 0...30, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            guard let packet = try? BFDControlPacket.decode(from: ByteBuffer(bytes: bytes)) else { continue }
            var encoded = ByteBuffer()
            packet.encode(into: &encoded)
            // The same bytes, except: Length counts only what was decoded (bytes beyond the sections are ignored),
            // and the Reserved byte of an MD5/SHA1 section is written as zero.
            var expected = Array(bytes.prefix(packet.length))
            expected[3] = UInt8(packet.length)
            if [2, 3, 4, 5].contains(packet.authentication?.type ?? 0) { expected[27] = 0 }
            #expect(Array(encoded.readableBytesView) == expected, "\(bytes)")
        }
    }
}
