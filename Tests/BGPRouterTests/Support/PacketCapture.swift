import Foundation
import LabKit
import LBKernel

/// A capture of BGP traffic on one veth of the lab, and the tshark checks run on it afterwards.
///
/// Captured with `tcpdump -i <veth> --immediate-mode -U -w <file> tcp port 179` inside the namespace: tshark (and
/// dumpcap) read the kernel's TPACKET_V3 blocks with a timeout and lose the packets of the last block when
/// stopped, so a capture stopped right after the router received an UPDATE could miss it; tcpdump in immediate
/// mode writes every packet as it comes. `start` returns once tcpdump is listening, so nothing sent after that is
/// missed. After `stop`, `problems()` lists every frame tshark's dissector finds malformed or flags at error
/// severity (bgp-baseline.md: it must print nothing).
final class PacketCapture: Sendable {
    /// The pcap file.
    let file: URL
    private let process: LabProcess

    private init(file: URL, process: LabProcess) {
        self.file = file
        self.process = process
    }

    /// Starts capturing TCP port `port` on `node`'s veth and waits (bounded) until tshark is capturing.
    static func start(in lab: NetworkLab, on node: LabNode, name: String = "bgp", port: UInt16 = 179) async throws
        -> PacketCapture {
        try Tools.require(Tools.tshark)
        let file = lab.file("\(name)-\(node.interface).pcap")
        // `-Z root`: tcpdump would otherwise drop to its own user and fail to write into the lab's directory.
        let process = try lab.spawn("tcpdump-\(name)-\(node.interface)",
                                    ["tcpdump", "-i", node.interface, "--immediate-mode", "-U", "-Z", "root",
                                     "-w", file.path, "tcp port \(port)"], in: node)
        try await process.waitForLog("tcpdump to start capturing", within: .seconds(30)) {
            $0.hasPrefix("tcpdump: listening on")
        }
        return PacketCapture(file: file, process: process)
    }

    /// Stops the capture (SIGINT, so tcpdump finishes the file) and waits for tcpdump to exit. It first lets the
    /// file settle (no growth for 300 ms, at most 3 s), so that packets on their way are in it.
    func stop() async throws {
        guard process.isRunning else { return }
        var size = -1, since = ContinuousClock.now
        let end = ContinuousClock.now.advanced(by: .seconds(3))
        while ContinuousClock.now < end {
            let now = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            if now != size { size = now; since = .now } else if since.duration(to: .now) >= .milliseconds(300) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.send(SIGINT)
        try await process.waitForExit(within: .seconds(20))
    }

    /// Every frame tshark considers malformed or flags with an error (`_ws.malformed || _ws.expert.severity >=
    /// error`), one summary line each: empty for a clean capture.
    func problems(port: UInt16 = 179) async throws -> [String] {
        try await stop()
        let result = try await Command.check(["tshark", "-r", file.path, "-d", "tcp.port==\(port),bgp",
                                              "-Y", "_ws.malformed || _ws.expert.severity >= error"],
                                             timeout: .seconds(60))
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// One BGP message seen in the capture.
    struct Message: Sendable, CustomStringConvertible {
        /// The frame it was in (a frame may hold several: veth frames are GSO super-segments).
        var frame: Int
        /// Who sent it.
        var source: IPAddress
        /// The BGP message type (RFC 4271 §4.1: 1 OPEN, 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE; 5 ROUTE-REFRESH).
        var type: Int
        /// The message's length field, in octets.
        var length: Int

        /// True for an End-of-RIB marker (RFC 4724 §2): an empty UPDATE (23 octets) for IPv4 unicast, or an UPDATE
        /// holding only an MP_UNREACH_NLRI with no NLRI (6 octets of attributes, 7 with the extended length flag)
        /// for another family.
        var isEndOfRIB: Bool { type == 2 && (length == 23 || length == 29 || length == 30) }

        /// `frame N: source TYPE`.
        var description: String {
            let names = [1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"]
            return "frame \(frame): \(source) \(isEndOfRIB ? "End-of-RIB" : names[type] ?? "type \(type)")"
        }
    }

    /// Every BGP message in the capture, in order.
    func messages(port: UInt16 = 179) async throws -> [Message] {
        try await stop()
        let result = try await Command.check(["tshark", "-r", file.path, "-d", "tcp.port==\(port),bgp", "-Y", "bgp",
                                              "-T", "fields", "-E", "occurrence=a", "-E", "separator=|",
                                              "-e", "frame.number", "-e", "ip.src", "-e", "ipv6.src",
                                              "-e", "bgp.type", "-e", "bgp.length"], timeout: .seconds(60))
        var messages: [Message] = []
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5, let frame = Int(fields[0]),
                  let source = IPAddress(fields[1].isEmpty ? fields[2] : fields[1]) else { continue }
            let types = fields[3].split(separator: ",").compactMap { Int($0) }
            let lengths = fields[4].split(separator: ",").compactMap { Int($0) }
            for (type, length) in zip(types, lengths) {
                messages.append(Message(frame: frame, source: source, type: type, length: length))
            }
        }
        return messages
    }
}
