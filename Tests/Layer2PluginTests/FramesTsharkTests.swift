import Foundation
import LBKernel
import Testing
@testable import Layer2Plugin

/// Wireshark's dissectors on our frames: every frame the builders and the responder make is written to a pcap file
/// and read with tshark (scripts/apt-packages.txt installs it), which must report no expert warning or error
/// (malformed packet, bad checksum, …). A known-bad frame in the same run proves that tshark does report them.
@Suite struct FramesTsharkTests {
    typealias F = FramesFixtures

    /// The frames we build: builders with and without tags, and the responder's replies to the fixtures.
    static func builtFrames() throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for tags in [[], [VLANTag(vlanID: 10)], [VLANTag(vlanID: 100, tpid: VLANTag.tpid8021AD), VLANTag(vlanID: 10)]] {
            frames.append(Layer2Frames.gratuitousARPRequest(address: F.ipB, mac: F.macB, vlanTags: tags))
            frames.append(Layer2Frames.gratuitousARPReply(address: F.ipB, mac: F.macB, vlanTags: tags))
            frames.append(Layer2Frames.unsolicitedNeighborAdvertisement(target: F.v6B, mac: F.macB, vlanTags: tags))
        }
        for name in F.names {
            for interface in [ResponderTests.frb, ResponderTests.fra] {
                if case .reply(let frame, _) = Responder.respond(to: try F.bytes(name), on: interface,
                                                                 table: ResponderTests.table) {
                    frames.append(frame)
                }
            }
        }
        return frames
    }

    /// A pcap file (libpcap format, LINKTYPE_ETHERNET) holding `frames`.
    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        var bytes = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (index, frame) in frames.enumerated() {
            bytes += le32(UInt32(index)) + le32(0) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        }
        return bytes
    }

    /// Per frame number, tshark's expert severities and messages (`-e _ws.expert.severity -e _ws.expert.message`).
    static func tsharkExperts(_ pcapBytes: [UInt8]) throws -> [Int: String] {
        let tshark = try #require(["/usr/bin/tshark", "/usr/local/bin/tshark"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }, "tshark is required (apt-get install tshark)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lbd-frames-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("frames.pcap"), output = directory.appendingPathComponent("out")
        try Data(pcapBytes).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-n", "-r", input.path, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.severity",
                             "-e", "_ws.expert.message", "-e", "_ws.col.info"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var experts: [Int: String] = [:]
        for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard let number = fields.first.flatMap({ Int($0) }) else { continue }
            experts[number] = fields.dropFirst().joined(separator: " | ")
            if fields.count > 1 && fields[1].isEmpty { experts[number] = "" }
        }
        return experts
    }

    @Test func tsharkFindsNothingWrongWithOurFrames() throws {
        let frames = try Self.builtFrames()
        #expect(frames.count >= 15)
        // The control: a Neighbor Advertisement with a broken checksum, and a truncated ARP.
        var broken = Layer2Frames.unsolicitedNeighborAdvertisement(target: F.v6B, mac: F.macB)
        broken[56] ^= 0xFF
        let truncated = Array(Layer2Frames.gratuitousARPRequest(address: F.ipB, mac: F.macB).prefix(30))
        let experts = try Self.tsharkExperts(Self.pcap(frames + [broken, truncated]))
        #expect(experts.count == frames.count + 2)
        for number in 1...frames.count {
            #expect(experts[number] == "", "frame \(number): \(experts[number] ?? "missing")\n\(F.hex(frames[number - 1]))")
        }
        #expect(experts[frames.count + 1]?.contains("Bad checksum") == true, "\(experts[frames.count + 1] ?? "")")
        #expect(experts[frames.count + 2]?.contains("Malformed") == true, "\(experts[frames.count + 2] ?? "")")
    }
}
