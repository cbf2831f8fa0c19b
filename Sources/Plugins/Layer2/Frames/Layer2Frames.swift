public import LBKernel

/// Builders of the whole Ethernet frames this plugin sends: ARP replies and gratuitous ARP (RFC 826, RFC 5227 §3),
/// solicited and unsolicited Neighbor Advertisements (RFC 4861 §7.2.4, §7.2.6).
///
/// Every frame comes from `mac` and carries `vlanTags` (those of the request, for a reply); it is padded to 60 octets.
public enum Layer2Frames {
    /// The all-nodes link-local multicast address ff02::1 (RFC 4291 §2.7.1).
    public static let allNodes = IPv6Address(0xFF02_0000_0000_0000_0000_0000_0000_0001)
    /// The solicited-node multicast prefix ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
    static let solicitedNodePrefix: UInt128 = 0xFF02_0000_0000_0000_0000_0001_FF00_0000

    /// The solicited-node multicast address of `address`: ff02::1:ff and its low 24 bits (RFC 4291 §2.7.1).
    public static func solicitedNodeMulticast(for address: IPv6Address) -> IPv6Address {
        IPv6Address(solicitedNodePrefix | address.value & 0xFF_FFFF)
    }

    /// The reply to the ARP `request`, saying that its target address is at `mac` (RFC 826 "Packet Reception").
    ///
    /// The sender fields become the target fields (so an ARP probe from 0.0.0.0, RFC 5227 §2.1.1, gets a reply with
    /// target 0.0.0.0, as Linux sends); the Ethernet destination is `requesterMAC`, the request's Ethernet source.
    public static func arpReply(to request: ARPPacket, requesterMAC: MACAddress, mac: MACAddress,
                                vlanTags: [VLANTag] = []) -> [UInt8] {
        let reply = ARPPacket(operation: .reply, senderMAC: mac, senderIP: request.targetIP,
                              targetMAC: request.senderMAC, targetIP: request.senderIP)
        return arp(reply, to: requesterMAC, from: mac, vlanTags: vlanTags)
    }

    /// A gratuitous ARP request announcing `address` at `mac`: broadcast, sender IP = target IP = `address`, target
    /// MAC zero (as Linux's own announcements; RFC 5227 §3 "ARP Announcement").
    ///
    /// Linux clients update an existing entry from it at any time, even within their 1 s locktime.
    public static func gratuitousARPRequest(address: IPv4Address, mac: MACAddress, vlanTags: [VLANTag] = []) -> [UInt8] {
        let packet = ARPPacket(operation: .request, senderMAC: mac, senderIP: address, targetMAC: .zero,
                               targetIP: address)
        return arp(packet, to: .broadcast, from: mac, vlanTags: vlanTags)
    }

    /// A gratuitous ARP reply announcing `address` at `mac`: broadcast, sender IP = target IP = `address` and target
    /// MAC = sender MAC = `mac` (as `arping -A`).
    ///
    /// Linux ignores a reply whose target MAC is broadcast within 1 s (locktime) of the entry's last update; with
    /// target MAC = sender MAC it is taken as gratuitous and applied.
    public static func gratuitousARPReply(address: IPv4Address, mac: MACAddress, vlanTags: [VLANTag] = []) -> [UInt8] {
        let packet = ARPPacket(operation: .reply, senderMAC: mac, senderIP: address, targetMAC: mac, targetIP: address)
        return arp(packet, to: .broadcast, from: mac, vlanTags: vlanTags)
    }

    /// The Neighbor Advertisement answering the solicitation `ns` for its target at `mac` (RFC 4861 §7.2.4).
    ///
    /// From the target address with hop limit 255 and a Target Link-Layer Address option. When the solicitation
    /// came from `::` (duplicate address detection) it goes to ff02::1 (33:33:00:00:00:01) with S = 0, O = 1;
    /// otherwise to the solicitation's source at `requesterMAC` with S = 1, O = 1.
    public static func neighborAdvertisement(answering ns: NDPPacket, requesterMAC: MACAddress, mac: MACAddress,
                                             vlanTags: [VLANTag] = []) -> [UInt8] {
        let target = ns.message.target
        let fromUnspecified = ns.header.source.isUnspecified
        let destination = fromUnspecified ? allNodes : ns.header.source
        let advertisement = NeighborAdvertisement(solicited: !fromUnspecified, override: true, target: target,
                                                  targetLinkLayer: mac)
        let packet = NDPPacket(source: target, destination: destination, message: .advertisement(advertisement))
        let ethernetDestination = fromUnspecified ? MACAddress.ipv6Multicast(allNodes.value) : requesterMAC
        return ipv6(packet, to: ethernetDestination, from: mac, vlanTags: vlanTags)
    }

    /// An unsolicited Neighbor Advertisement announcing `target` at `mac` (RFC 4861 §7.2.6): from `target` to
    /// ff02::1 (33:33:00:00:00:01, RFC 2464 §7), R = 0, S = 0, O = 1, hop limit 255, Target Link-Layer Address
    /// option; byte for byte what Linux sends with `ndisc_notify`.
    ///
    /// The Override flag makes Linux clients replace a cached address at once; without it the entry only goes STALE.
    public static func unsolicitedNeighborAdvertisement(target: IPv6Address, mac: MACAddress,
                                                        vlanTags: [VLANTag] = []) -> [UInt8] {
        let advertisement = NeighborAdvertisement(solicited: false, override: true, target: target,
                                                  targetLinkLayer: mac)
        let packet = NDPPacket(source: target, destination: allNodes, message: .advertisement(advertisement))
        return ipv6(packet, to: MACAddress.ipv6Multicast(allNodes.value), from: mac, vlanTags: vlanTags)
    }

    /// `packet` in an Ethernet frame.
    static func arp(_ packet: ARPPacket, to destination: MACAddress, from source: MACAddress,
                    vlanTags: [VLANTag]) -> [UInt8] {
        EthernetFrame(destination: destination, source: source, vlanTags: vlanTags,
                      etherType: EthernetFrame.etherTypeARP, payload: packet.encoded()).encoded()
    }

    /// `packet` in an Ethernet frame.
    static func ipv6(_ packet: NDPPacket, to destination: MACAddress, from source: MACAddress,
                     vlanTags: [VLANTag]) -> [UInt8] {
        EthernetFrame(destination: destination, source: source, vlanTags: vlanTags,
                      etherType: EthernetFrame.etherTypeIPv6, payload: packet.encoded()).encoded()
    }
}
