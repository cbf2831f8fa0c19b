/// Hand-built Ethernet frames for the link tests: only what the capture filter looks at is meaningful.
enum LinkTestFrames {
    /// The source MAC address of every test frame, so tests can tell them from the kernels' own frames.
    static let source: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x97, 0x01]
    static let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    /// Destination, source, an optional 802.1Q tag with `vlan`, the EtherType, the payload, padded to 60 octets.
    static func ethernet(to destination: [UInt8], vlan: UInt16?, etherType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var frame = destination + source
        if let vlan { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        frame += [UInt8(etherType >> 8), UInt8(etherType & 0xFF)] + payload
        if frame.count < 60 { frame += [UInt8](repeating: 0, count: 60 - frame.count) }
        return frame
    }

    /// An ARP request (RFC 826) for `target` from `sender`, broadcast.
    static func arpRequest(sender: [UInt8], target: [UInt8], vlan: UInt16? = nil) -> [UInt8] {
        let arp: [UInt8] = [0, 1, 0x08, 0x00, 6, 4, 0, 1] + source + sender + [0, 0, 0, 0, 0, 0] + target
        return ethernet(to: broadcast, vlan: vlan, etherType: 0x0806, arp)
    }

    /// An IPv4 UDP datagram (checksums not computed: only the filter sees it).
    static func ipv4UDP(to destination: [UInt8], vlan: UInt16? = nil) -> [UInt8] {
        let udp: [UInt8] = [0x30, 0x39, 0x30, 0x39, 0, 12, 0, 0, 0x6C, 0x62, 0x64, 0x21]
        let ip: [UInt8] = [0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 97, 0, 2, 10, 97, 0, 1]
        return ethernet(to: destination, vlan: vlan, etherType: 0x0800, ip + udp)
    }

    /// An IPv6 packet carrying an ICMPv6 message of `type` (128 echo request, 135 NS, 136 NA) to ff02::1.
    static func icmpv6(type: UInt8, vlan: UInt16? = nil) -> [UInt8] {
        let icmp: [UInt8] = [type, 0, 0, 0] + [UInt8](repeating: 0, count: 20)
        var ip: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, 255]
        ip += [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [0x99]
        ip += [0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [0x01]
        return ethernet(to: [0x33, 0x33, 0, 0, 0, 1], vlan: vlan, etherType: 0x86DD, ip + icmp)
    }

    /// Whether `frame` came from `source`.
    static func isTestFrame(_ frame: [UInt8]) -> Bool { frame.count >= 12 && Array(frame[6..<12]) == source }
}
