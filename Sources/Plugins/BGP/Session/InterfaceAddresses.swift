import LBKernel
import NIOCore

/// The addresses of the interface that holds a given local address, as NIO lists the host's devices
/// (`getifaddrs(3)`).
///
/// A session runs over one family; the node's address of the other family on the same interface is the next hop
/// for the other family's routes with `dualStackAddressFamily`, and the interface's first IPv4 address is MetalLB's
/// router ID for an IPv6 session.
struct InterfaceAddresses: Hashable, Sendable {
    /// The interface's name.
    var name: String
    /// Its IPv4 addresses, in the order the kernel lists them.
    var ipv4: [IPv4Address]
    /// Its IPv6 addresses other than link-local ones, in the order the kernel lists them.
    var ipv6Global: [IPv6Address]
    /// Its fe80::/10 addresses.
    var ipv6LinkLocal: [IPv6Address] = []
    /// The netmask of the address the interface was looked up by, when the kernel gives one.
    var netmask: IPAddress?

    /// The interface holding `address`, or nil when no interface has it (or the devices cannot be listed).
    static func holding(_ address: IPAddress) -> InterfaceAddresses? {
        guard let devices = try? System.enumerateDevices() else { return nil }
        let addressed = devices.compactMap { device -> (name: String, address: IPAddress, mask: IPAddress?)? in
            guard let address = device.address.flatMap(IPAddress.init) else { return nil }
            return (device.name, address, device.netmask.flatMap(IPAddress.init))
        }
        guard let holder = addressed.first(where: { $0.address == address }) else { return nil }
        var record = InterfaceAddresses(name: holder.name, ipv4: [], ipv6Global: [], netmask: holder.mask)
        for entry in addressed where entry.name == holder.name {
            switch entry.address {
            case .v4(let v4): record.ipv4.append(v4)
            case .v6(let v6) where PeerSession.LinkLocal.isLinkLocal(v6): record.ipv6LinkLocal.append(v6)
            case .v6(let v6): record.ipv6Global.append(v6)
            }
        }
        return record
    }

    /// The interface's first address of `family` (a global one for IPv6), or nil.
    func first(_ family: IPFamily) -> IPAddress? {
        switch family {
        case .ipv4: ipv4.first.map { .v4($0) }
        case .ipv6: ipv6Global.first.map { .v6($0) }
        }
    }
}
