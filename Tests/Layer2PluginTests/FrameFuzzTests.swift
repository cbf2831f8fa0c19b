import Foundation
import LBKernel
import Testing
@testable import Layer2Plugin

/// Random mutations of every captured fixture (bit flips, new octets, truncations, extensions, insertions, splices,
/// added VLAN tags, random frames), with a fixed seed: decoding never traps, and the responder never answers
/// wrongly (FrameFuzzCheck). Half the mutated IPv6 frames get their checksum fixed so that the mutations reach the
/// rules behind it. `LBD_FRAME_FUZZ_ITERATIONS` and `LBD_FRAME_FUZZ_SEED` run it longer or elsewhere;
/// `LBD_FRAME_FUZZ_LOG=<file>` writes each input there (as hex) before trying it, so a trap leaves its crasher.
@Suite struct FrameFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let iterations = environment["LBD_FRAME_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 20_000
    static let seed = environment["LBD_FRAME_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x4C42_4432_4652_414D

    @Test func mutatedFixturesAreNeverAnsweredWrongly() throws {
        let fixtures = try FramesFixtures.names.map(FramesFixtures.bytes)
        #expect(fixtures.count >= 14)
        var random = SplitMix64(seed: Self.seed)
        let log = Self.environment["LBD_FRAME_FUZZ_LOG"]
        var counts: [FrameFuzzCheck.Kind: Int] = [:]
        for _ in 0..<Self.iterations {
            var frame = fixtures[random.below(fixtures.count)]
            for _ in 0..<(1 + random.below(3)) { Self.mutate(&frame, fixtures: fixtures, random: &random) }
            if random.below(2) == 0 { frame = Self.fixingChecksum(frame) }
            if let log { try FramesFixtures.hex(frame).write(toFile: log, atomically: false, encoding: .utf8) }
            let interface = FrameFuzzCheck.interfaces[random.below(FrameFuzzCheck.interfaces.count)]
            counts[FrameFuzzCheck.check(frame, on: interface), default: 0] += 1
        }
        // The mutations must reach every outcome, or the test proves little.
        let least = Self.iterations / 100
        #expect(counts[.reply, default: 0] > least && counts[.claim, default: 0] > least
                && counts[.drop, default: 0] > least, "\(counts)")
    }

    @Test func randomBytesAreNeverAnswered() {
        var random = SplitMix64(seed: Self.seed ^ 0xFF)
        for _ in 0..<(Self.iterations / 4) {
            let frame = (0..<random.below(128)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(FrameFuzzCheck.check(frame, on: FrameFuzzCheck.interfaces[0]) != .reply)
        }
    }

    /// Applies one random mutation to `frame`.
    static func mutate(_ frame: inout [UInt8], fixtures: [[UInt8]], random: inout SplitMix64) {
        let interesting: [UInt8] = [0, 1, 2, 4, 6, 8, 0x20, 0x40, 0x60, 0x7F, 0x80, 0x81, 0x86, 0x87, 0x88, 0xDD,
                                    0xFE, 0xFF, 58, 64, 135, 136]
        let count = frame.count
        switch random.below(10) {
        case 0 where count > 0: frame[random.below(count)] ^= 1 << UInt8(random.below(8))
        case 1 where count > 0: frame[random.below(count)] = UInt8(truncatingIfNeeded: random.next())
        case 2 where count > 0: frame[random.below(count)] = interesting[random.below(interesting.count)]
        case 3: frame.removeLast(random.below(count + 1))
        case 4: frame += (0..<(1 + random.below(64))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 5:
            let at = random.below(count + 1)
            frame.insert(contentsOf: (0..<(1 + random.below(8))).map { _ in UInt8(truncatingIfNeeded: random.next()) },
                         at: at)
        case 6 where count > 0:
            let start = random.below(count)
            frame.removeSubrange(start..<min(count, start + 1 + random.below(8)))
        case 7:
            let other = fixtures[random.below(fixtures.count)]
            let cut = random.below(min(count, other.count) + 1)
            frame = Array(frame.prefix(cut) + other.dropFirst(cut))
        case 8 where count >= 12:
            let tpid: [UInt8] = random.below(2) == 0 ? [0x81, 0x00] : [0x88, 0xA8]
            frame.insert(contentsOf: tpid + [UInt8(random.below(256)), UInt8(random.below(256))], at: 12)
        case 9 where random.below(10) == 0:
            frame = (0..<random.below(100)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        default:
            if count > 0 { frame[random.below(count)] &+= 1 }
        }
    }

    /// `frame` with its ICMPv6 checksum recomputed, after any VLAN tags; unchanged when it is not IPv6.
    static func fixingChecksum(_ frame: [UInt8]) -> [UInt8] {
        guard let ethernet = try? EthernetFrame(decoding: frame), ethernet.etherType == EthernetFrame.etherTypeIPv6
        else { return frame }
        return FramesFixtures.fixingChecksum(frame, ipOffset: 14 + 4 * ethernet.vlanTags.count)
    }
}
