public import LBKernel

/// An ARP packet for IPv4 over Ethernet (RFC 826).
///
/// Only the Ethernet/IPv4 form is decoded: hardware type 1, protocol type 0x0800, hardware length 6 and protocol
/// length 4; anything else throws, as does an operation other than request or reply.
public struct ARPPacket: Hashable, Sendable, CustomStringConvertible {
    /// The ARP operation (RFC 826 `ar$op`).
    public enum Operation: UInt16, Hashable, Sendable {
        /// A request (`ares_op$REQUEST` = 1).
        case request = 1
        /// A reply (`ares_op$REPLY` = 2).
        case reply = 2
    }

    /// The operation.
    public var operation: Operation
    /// The sender hardware address (`ar$sha`).
    public var senderMAC: MACAddress
    /// The sender protocol address (`ar$spa`); 0.0.0.0 in an ARP probe (RFC 5227 §2.1.1).
    public var senderIP: IPv4Address
    /// The target hardware address (`ar$tha`); ignored in requests (zero or broadcast).
    public var targetMAC: MACAddress
    /// The target protocol address (`ar$tpa`): the address asked for in a request.
    public var targetIP: IPv4Address

    /// The length of an Ethernet/IPv4 ARP packet: 8 octets of header and two pairs of 6 + 4.
    public static let length = 28
    /// RFC 826 `ar$hrd` for Ethernet.
    public static let hardwareTypeEthernet: UInt16 = 1
    /// RFC 826 `ar$pro` for IPv4 (the IPv4 EtherType).
    public static let protocolTypeIPv4: UInt16 = 0x0800

    /// Creates a packet.
    public init(operation: Operation, senderMAC: MACAddress, senderIP: IPv4Address, targetMAC: MACAddress,
                targetIP: IPv4Address) {
        self.operation = operation
        self.senderMAC = senderMAC
        self.senderIP = senderIP
        self.targetMAC = targetMAC
        self.targetIP = targetIP
    }

    /// Decodes the ARP payload of an Ethernet frame; octets after the 28 of the packet (padding) are ignored.
    public init(decoding bytes: [UInt8]) throws(FrameDecodeError) {
        // RFC 826 "Packet format": ar$hrd (16), ar$pro (16), ar$hln (8), ar$pln (8), ar$op (16), then the addresses.
        guard bytes.count >= 8 else { throw .truncated(what: "ARP header", needed: 8, available: bytes.count) }
        let htype = bytes.uint16(at: 0), ptype = bytes.uint16(at: 2), hlen = bytes[4], plen = bytes[5]
        guard htype == ARPPacket.hardwareTypeEthernet, ptype == ARPPacket.protocolTypeIPv4, hlen == 6, plen == 4 else {
            throw .unsupportedARPFormat(hardwareType: htype, protocolType: ptype, hardwareLength: hlen,
                                        protocolLength: plen)
        }
        let op = bytes.uint16(at: 6)
        guard let operation = Operation(rawValue: op) else { throw .unknownARPOperation(op) }
        guard bytes.count >= ARPPacket.length else {
            throw .truncated(what: "ARP packet", needed: ARPPacket.length, available: bytes.count)
        }
        self.operation = operation
        senderMAC = bytes.mac(at: 8)
        senderIP = IPv4Address(bytes.uint32(at: 14))
        targetMAC = bytes.mac(at: 18)
        targetIP = IPv4Address(bytes.uint32(at: 24))
    }

    /// The 28 octets of the packet.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ARPPacket.length)
        bytes.append(uint16: ARPPacket.hardwareTypeEthernet)
        bytes.append(uint16: ARPPacket.protocolTypeIPv4)
        bytes += [6, 4]
        bytes.append(uint16: operation.rawValue)
        bytes += senderMAC.bytes
        bytes.append(uint32: senderIP.value)
        bytes += targetMAC.bytes
        bytes.append(uint32: targetIP.value)
        return bytes
    }

    /// Whether this is a gratuitous ARP: the sender announces its own address (sender IP = target IP, RFC 5227 §3).
    public var isGratuitous: Bool { senderIP == targetIP }

    /// Whether this is an ARP probe: a request from 0.0.0.0 (RFC 5227 §2.1.1).
    public var isProbe: Bool { operation == .request && senderIP.value == 0 }

    /// `who-has 10.0.0.1 tell 10.0.0.2 (02:…)` or `10.0.0.1 is-at 02:…`.
    public var description: String {
        switch operation {
        case .request: "who-has \(targetIP) tell \(senderIP) (\(senderMAC))"
        case .reply: "\(senderIP) is-at \(senderMAC) to \(targetIP) (\(targetMAC))"
        }
    }
}
