import Foundation
import LabKit
import Layer2Plugin
import LBKernel
import Testing

/// PcapLink on a veth pair between two network namespaces the tests create (root; CI is root).
@Suite("PcapLink", .enabled(if: LinkTestNamespace.available, "needs root and iproute2 for network namespaces"))
struct PcapLinkTests {
    /// Whether `frame` is an untagged ARP request for `target`.
    static func isARPRequest(_ frame: [UInt8], for target: IPv4Address) -> Bool {
        frame.count >= 42 && frame[12] == 0x08 && frame[13] == 0x06 && frame[20] == 0 && frame[21] == 1
            && Array(frame[38..<42]) == target.octets
    }

    @Test("an ARP request from arping in the other namespace reaches the link; the kernel's reply (outgoing) does not")
    func receivesArping() async throws {
        try await LinkTestNamespace.with { pair in
            let link = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            let linkB = try await pair.inB { try PcapLink(interface: pair.interfaceB) }
            defer { link.close(); linkB.close() }
            let reader = LinkTestReader(link)
            let arping = try await Command.run(["ip", "netns", "exec", pair.b, "arping", "-c", "1", "-w", "3",
                                                "-I", pair.interfaceB, "\(pair.ipv4A)"])
            #expect(arping.status == 0, "\(arping)")   // A's kernel answered
            let request = try await reader.waitForFrame("arping's request for \(pair.ipv4A)") {
                Self.isARPRequest($0, for: pair.ipv4A)
            }
            let macB = try await pair.inB { InterfaceScanner.scan().first { $0.name == pair.interfaceB }?.mac }
            #expect(MACAddress(bytes: request[6..<12]) == macB)
            #expect(Array(request[28..<32]) == pair.ipv4B.octets)          // sender protocol address
            #expect(link.counters.received >= 1)
            // A's kernel answered before arping returned, so its reply went out before this marker came in: a link
            // that read outgoing frames would hold the reply by the time it has the marker.
            let marker = LinkTestFrames.icmpv6(type: 136)
            try linkB.inject(marker)
            try await reader.waitForFrame("the marker from \(pair.b)") { $0 == marker }
            let macA = try await pair.inA { InterfaceScanner.scan().first { $0.name == pair.interfaceA }?.mac }
            #expect(!reader.received.contains { MACAddress(bytes: $0[6..<12]) == macA })
        }
    }

    @Test("the filter passes ARP, NS and NA, untagged or with a VLAN tag, and drops IPv4 UDP and other ICMPv6")
    func filter() async throws {
        try await LinkTestNamespace.with { pair in
            let linkA = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            let linkB = try await pair.inB { try PcapLink(interface: pair.interfaceB) }
            defer { linkA.close(); linkB.close() }
            let reader = LinkTestReader(linkA)
            let other: [UInt8] = [10, 97, UInt8(pair.number), 99]
            let marker = LinkTestFrames.arpRequest(sender: other, target: [10, 97, UInt8(pair.number), 98])
            // (frame, passes the filter), interleaved so a filter that lets a kind through shows up out of order.
            let frames: [([UInt8], Bool)] = [
                (LinkTestFrames.ipv4UDP(to: LinkTestFrames.broadcast), false),
                (LinkTestFrames.arpRequest(sender: other, target: pair.ipv4A.octets), true),
                (LinkTestFrames.icmpv6(type: 128), false),                        // echo request
                (LinkTestFrames.icmpv6(type: 135), true),                         // neighbor solicitation
                (LinkTestFrames.icmpv6(type: 133), false),                        // router solicitation
                (LinkTestFrames.icmpv6(type: 136), true),                         // neighbor advertisement
                (LinkTestFrames.ipv4UDP(to: LinkTestFrames.broadcast, vlan: 10), false),
                (LinkTestFrames.arpRequest(sender: other, target: pair.ipv4A.octets, vlan: 10), true),
                (LinkTestFrames.icmpv6(type: 128, vlan: 10), false),
                (LinkTestFrames.icmpv6(type: 135, vlan: 10), true),
                (LinkTestFrames.icmpv6(type: 136, vlan: 4094), true),
                (LinkTestFrames.icmpv6(type: 134, vlan: 4094), false),             // router advertisement
                (marker, true),
            ]
            for (frame, _) in frames { try linkB.inject(frame) }
            #expect(linkB.counters.injected == frames.count)
            try await reader.waitForFrame("the marker ARP request") { $0 == marker }
            // Frames arrive in order on a veth: everything sent before the marker has been filtered by now. The
            // kernel took each received frame's 802.1Q tag out; libpcap put it back, so tagged frames are whole.
            let received = reader.received.filter(LinkTestFrames.isTestFrame)
            #expect(received == frames.filter(\.1).map(\.0))
        }
    }

    @Test("an injected frame appears in the other namespace, and not on the sender's own reader")
    func injectReachesPeer() async throws {
        try await LinkTestNamespace.with { pair in
            let linkA = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            let linkB = try await pair.inB { try PcapLink(interface: pair.interfaceB) }
            defer { linkA.close(); linkB.close() }
            let readerA = LinkTestReader(linkA)
            let readerB = LinkTestReader(linkB)
            let gratuitous = LinkTestFrames.arpRequest(sender: [10, 97, UInt8(pair.number), 77],
                                                       target: [10, 97, UInt8(pair.number), 77])
            try linkA.inject(gratuitous)
            #expect(linkA.counters.injected == 1)
            try await readerB.waitForFrame("the injected gratuitous ARP in \(pair.b)") { $0 == gratuitous }
            // A reads incoming frames only: a marker from B arriving proves A would have seen its own frame by now.
            let marker = LinkTestFrames.icmpv6(type: 135)
            try linkB.inject(marker)
            try await readerA.waitForFrame("the marker from \(pair.b)") { $0 == marker }
            #expect(!readerA.received.contains(gratuitous))
        }
    }

    @Test("run returns promptly after close from another thread; the link then refuses to send")
    func closeEndsRun() async throws {
        try await LinkTestNamespace.with { pair in
            let link = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            let reader = LinkTestReader(link)
            let start = ContinuousClock.now
            link.close()
            // Bounded generously for a loaded machine: a close that did not wake the reader would never end it.
            let ended = try await reader.waitForEnd(within: .seconds(30))
            #expect(throws: Never.self) { try ended.get() }
            print("PcapLink run ended \(ContinuousClock.now - start) after close()")
            #expect(link.isClosed)
            #expect(throws: LinkError(.closed, interface: pair.interfaceA, message: "inject: the link is closed")) {
                try link.inject(LinkTestFrames.icmpv6(type: 135))
            }
            link.close()                                         // a second close does nothing
        }
    }

    @Test("run returns at once on a link closed before it ran")
    func closeBeforeRun() async throws {
        try await LinkTestNamespace.with { pair in
            let link = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            link.close()
            var called = false
            try link.run { _ in called = true }
            #expect(!called)
        }
    }

    @Test("close from inside the frame callback ends run after that frame")
    func closeFromCallback() async throws {
        try await LinkTestNamespace.with { pair in
            let linkA = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            let linkB = try await pair.inB { try PcapLink(interface: pair.interfaceB) }
            defer { linkB.close() }
            let reader = LinkTestReader(linkA) { frame in
                if LinkTestFrames.isTestFrame(frame) { linkA.close() }
            }
            // Two frames in one burst: the reader stops after the first test frame, even with the second pending.
            try linkB.inject(LinkTestFrames.icmpv6(type: 135))
            try linkB.inject(LinkTestFrames.icmpv6(type: 136))
            let ended = try await reader.waitForEnd()
            #expect(throws: Never.self) { try ended.get() }
            #expect(reader.received.filter(LinkTestFrames.isTestFrame).count == 1)
        }
    }

    @Test("a link keeps working across its interface going down and up")
    func interfaceDownAndUp() async throws {
        try await LinkTestNamespace.with { pair in
            let linkA = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            let linkB = try await pair.inB { try PcapLink(interface: pair.interfaceB) }
            defer { linkA.close(); linkB.close() }
            let reader = LinkTestReader(linkA)
            try await pair.ip(pair.a, "link", "set", pair.interfaceA, "down")
            try await pair.ip(pair.a, "link", "set", pair.interfaceA, "up")
            // The peer's carrier may come back a moment after `up`: resend until a frame arrives.
            let marker = LinkTestFrames.icmpv6(type: 136)
            try await LinkTestReader.poll(within: .seconds(5), "a frame after down/up") { () -> Bool? in
                if reader.received.contains(marker) { return true }
                try? linkB.inject(marker)
                return nil
            }
            #expect(reader.ended == nil)
        }
    }

    /// Taking the interface down first is the hard case: libpcap sees ENETDOWN while the interface still exists and
    /// only learns it is gone by being called again (`pcap_get_required_select_timeout`), as no second error comes.
    @Test("deleting the interface ends run with interfaceGone", arguments: [false, true])
    func interfaceDeleted(downFirst: Bool) async throws {
        try await LinkTestNamespace.with { pair in
            let link = try await pair.inA { try PcapLink(interface: pair.interfaceA) }
            defer { link.close() }
            let reader = LinkTestReader(link)
            if downFirst {
                try await pair.ip(pair.a, "link", "set", pair.interfaceA, "down")
                // Give the reader a chance to see the ENETDOWN while the interface still exists (not needed for
                // correctness: the test passes either way with a working link, and hangs with a broken one).
                try await Task.sleep(for: .milliseconds(100))
                #expect(reader.ended == nil)
            }
            try await pair.ip(pair.a, "link", "del", pair.interfaceA)
            let ended = try await reader.waitForEnd()
            #expect(throws: LinkError.self) { try ended.get() }
            if case .failure(let error) = ended {
                #expect(error.code == .interfaceGone, "\(error)")
                #expect(error.interface == pair.interfaceA)
                #expect(error.description.contains(pair.interfaceA))
            }
            #expect(link.isClosed)
        }
    }

    @Test("opening a missing interface fails with interfaceGone naming it")
    func missingInterface() async throws {
        try await LinkTestNamespace.with { pair in
            let error = try await pair.inA { () -> LinkError? in
                do throws(LinkError) {
                    _ = try PcapLink(interface: "lk-missing0")
                    return nil
                } catch {
                    return error
                }
            }
            #expect(error?.code == .interfaceGone, "\(String(describing: error))")
            #expect(error?.description.hasPrefix("lk-missing0: pcap_activate") == true)
        }
    }
}
