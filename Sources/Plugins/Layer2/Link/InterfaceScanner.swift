import CPcap
import Glibc
import LBKernel

/// Lists the host's network interfaces with their flags, hardware address, enslavement and addresses.
///
/// Interfaces, flags, hardware addresses and IP addresses come from `getifaddrs(3)`; the bond or bridge an interface
/// is enslaved to comes from a netlink `RTM_GETLINK` dump (`IFLA_MASTER`), falling back to `/sys/class/net/<if>/master`
/// when netlink is unavailable. Both follow the network namespace of the calling thread, which `/sys/class/net` does
/// not: sysfs shows the namespace of whoever mounted it, so a thread that entered another namespace with `setns`
/// would read the wrong interfaces there.
public enum InterfaceScanner {
    /// The interfaces of the calling thread's network namespace, ordered by index; empty when they cannot be listed.
    public static func scan() -> [NetworkInterface] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }

        var byName: [String: NetworkInterface] = [:]
        var addresses: [(name: String, address: IPAddress)] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let sockaddr = entry.pointee.ifa_addr else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            switch Int32(sockaddr.pointee.sa_family) {
            case AF_PACKET:
                byName[name] = link(name: name, flags: entry.pointee.ifa_flags, address: UnsafeRawPointer(sockaddr))
            case AF_INET, AF_INET6:
                if let address = ipAddress(UnsafeRawPointer(sockaddr)) { addresses.append((name, address)) }
            default:
                continue
            }
        }
        for (name, address) in addresses {
            switch address {
            case .v4(let v4): byName[name]?.ipv4.append(v4)
            case .v6(let v6) where isLinkLocal(v6):
                if byName[name]?.ipv6LinkLocal == nil { byName[name]?.ipv6LinkLocal = v6 }
            case .v6(let v6): byName[name]?.ipv6.append(v6)
            }
        }
        var interfaces = byName.values.sorted { $0.index < $1.index }
        let names = Dictionary(interfaces.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        let masters = LinkMasters.dump()
        for i in interfaces.indices {
            if let masters {
                interfaces[i].master = masters[interfaces[i].index].flatMap { names[$0] }
            } else {
                interfaces[i].master = LinkMasters.fromSysfs(interfaces[i].name)
            }
        }
        return interfaces
    }

    /// Whether `address` is in fe80::/10 (RFC 4291 §2.5.6).
    static func isLinkLocal(_ address: IPv6Address) -> Bool { address.value >> 118 == 0xFE80 >> 6 }

    /// The interface record of an `AF_PACKET` entry: index, hardware address and flags, no addresses yet.
    private static func link(name: String, flags: UInt32, address: UnsafeRawPointer) -> NetworkInterface {
        let packet = address.loadUnaligned(as: sockaddr_ll.self)
        var mac: MACAddress?
        if packet.sll_halen == 6 {
            mac = withUnsafeBytes(of: packet.sll_addr) { MACAddress(bytes: $0.prefix(6)) }
        }
        return NetworkInterface(
            name: name, index: packet.sll_ifindex, mac: mac,
            isUp: flags & UInt32(IFF_UP) != 0,
            isRunning: flags & UInt32(IFF_RUNNING) != 0,
            isLoopback: flags & UInt32(IFF_LOOPBACK) != 0,
            supportsBroadcast: flags & UInt32(IFF_BROADCAST) != 0,
            noARP: flags & UInt32(IFF_NOARP) != 0)
    }

    /// The address of an `AF_INET` or `AF_INET6` socket address.
    private static func ipAddress(_ address: UnsafeRawPointer) -> IPAddress? {
        switch Int32(address.load(as: sockaddr.self).sa_family) {
        case AF_INET:
            let v4 = address.loadUnaligned(as: sockaddr_in.self)
            return .v4(IPv4Address(UInt32(bigEndian: v4.sin_addr.s_addr)))
        case AF_INET6:
            let v6 = address.loadUnaligned(as: sockaddr_in6.self)
            let value = withUnsafeBytes(of: v6.sin6_addr) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
            return .v6(IPv6Address(value))
        default:
            return nil
        }
    }
}
