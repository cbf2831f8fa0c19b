import LBKernel

/// The pure reply decision of the Layer 2 plugin: a received frame in, a reply, a drop or a claim out (MetalLB's
/// rules, `internal/layer2/arp.go` and `ndp.go`).
///
/// - ARP (RFC 826): a request whose Ethernet destination is broadcast or our MAC, for an address of the table that
///   is answered on this interface, gets a reply from our MAC to the requester's Ethernet source, in the request's
///   VLAN tags. ARP probes (sender 0.0.0.0, RFC 5227 §2.1.1) are answered too, with target 0.0.0.0 as Linux does.
///   A gratuitous ARP (sender IP = target IP) or any ARP reply for a table address is a claim.
/// - NDP (RFC 4861 §7.2.3, §7.2.4): a Neighbor Solicitation with hop limit 255, sent to the target's solicited-node
///   group or to the target itself, for a table address answered on this interface, gets a Neighbor Advertisement
///   (S = 1, O = 1 to the solicitation's source; S = 0, O = 1 to ff02::1 when it came from `::`). A Neighbor
///   Advertisement with the Override flag for a table address is a claim.
/// - Frames from our own MAC, or from a multicast or zero MAC, are dropped first.
public enum Responder {
    /// Decides what to do with `frame` (as libpcap delivered it) received on `interface`, answering from `table`.
    public static func respond(to frame: [UInt8], on interface: ResponderInterface, table: AnswerTable)
        -> ResponderOutcome {
        guard let ethernet = try? EthernetFrame(decoding: frame) else { return .drop(.malformed) }
        if let reason = sourceProblem(ethernet.source, interface) { return .drop(reason) }
        switch ethernet.etherType {
        case EthernetFrame.etherTypeARP: return arp(ethernet, on: interface, table: table)
        case EthernetFrame.etherTypeIPv6: return ndp(ethernet, on: interface, table: table)
        default: return .drop(.unsupported)
        }
    }

    /// The decision for an ARP frame.
    static func arp(_ ethernet: EthernetFrame, on interface: ResponderInterface, table: AnswerTable)
        -> ResponderOutcome {
        guard let packet = try? ARPPacket(decoding: ethernet.payload) else { return .drop(.malformed) }
        if let reason = sourceProblem(packet.senderMAC, interface) { return .drop(reason) }
        if packet.operation == .reply || packet.isGratuitous {
            return claim(.v4(packet.senderIP), mac: packet.senderMAC, interface, table)
        }
        guard ethernet.destination.isBroadcast || ethernet.destination == interface.mac else {
            return .drop(.notAddressedToUs)
        }
        let address = IPAddress.v4(packet.targetIP)
        if let reason = answerProblem(address, interface, table) { return .drop(reason) }
        let reply = Layer2Frames.arpReply(to: packet, requesterMAC: ethernet.source, mac: interface.mac,
                                          vlanTags: ethernet.vlanTags)
        return .reply(frame: reply, address: address)
    }

    /// The decision for an IPv6 frame.
    static func ndp(_ ethernet: EthernetFrame, on interface: ResponderInterface, table: AnswerTable)
        -> ResponderOutcome {
        let packet: NDPPacket
        do {
            packet = try NDPPacket(decoding: ethernet.payload)
        } catch .unsupportedNextHeader, .unsupportedICMPv6Type {
            return .drop(.unsupported)
        } catch {
            return .drop(.malformed)
        }
        // RFC 4861 §7.1.1/§7.1.2: a hop limit below 255 means the message crossed a router.
        guard packet.header.hopLimit == 255 else { return .drop(.hopLimitNot255) }
        switch packet.message {
        case .solicitation(let ns):
            if let mac = ns.sourceLinkLayer, let reason = sourceProblem(mac, interface) { return .drop(reason) }
            let destination = packet.header.destination
            guard destination == Layer2Frames.solicitedNodeMulticast(for: ns.target) || destination == ns.target,
                  ethernet.destination == interface.mac
                    || destination.isMulticast && ethernet.destination == MACAddress.ipv6Multicast(destination.value)
            else { return .drop(.notAddressedToUs) }
            let address = IPAddress.v6(ns.target)
            if let reason = answerProblem(address, interface, table) { return .drop(reason) }
            let reply = Layer2Frames.neighborAdvertisement(answering: packet, requesterMAC: ethernet.source,
                                                           mac: interface.mac, vlanTags: ethernet.vlanTags)
            return .reply(frame: reply, address: address)
        case .advertisement(let na):
            let mac = na.targetLinkLayer ?? ethernet.source
            if let reason = sourceProblem(mac, interface) { return .drop(reason) }
            guard na.override else { return .drop(.notARequest) }
            return claim(.v6(na.target), mac: mac, interface, table)
        }
    }

    /// Why a frame from `mac` is dropped at once: it is ours, or it cannot be a station's address.
    static func sourceProblem(_ mac: MACAddress, _ interface: ResponderInterface) -> DropReason? {
        if mac == interface.mac { return .ownFrame }
        return mac.isUnicast ? nil : .invalidSourceMAC
    }

    /// Why a request for `address` on `interface` is not answered, or nil when it is.
    static func answerProblem(_ address: IPAddress, _ interface: ResponderInterface, _ table: AnswerTable)
        -> DropReason? {
        guard table.entries[address] != nil else { return .notOwned }
        return table.answers(address, on: interface.name) ? nil : .interfaceNotAllowed
    }

    /// A claim of `address` by `mac`, when the address is one of the table's (on any interface); else a drop.
    static func claim(_ address: IPAddress, mac: MACAddress, _ interface: ResponderInterface, _ table: AnswerTable)
        -> ResponderOutcome {
        guard table.entries[address] != nil else { return .drop(.notOwned) }
        return .claim(AddressClaim(address: address, mac: mac, interface: interface.name))
    }
}
