#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LBKernel

/// The addresses of the interface that holds a given local address, read with `getifaddrs(3)`.
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

    /// The interface holding `address`, or nil when no interface has it.
    static func holding(_ address: IPAddress) -> InterfaceAddresses? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var byName: [String: InterfaceAddresses] = [:]
        var holder: String?
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sockaddrPointer = entry.pointee.ifa_addr, let namePointer = entry.pointee.ifa_name else {
                continue
            }
            let name = String(cString: namePointer)
            var record = byName[name] ?? InterfaceAddresses(name: name, ipv4: [], ipv6Global: [])
            let found: IPAddress?
            switch Int32(sockaddrPointer.pointee.sa_family) {
            case AF_INET:
                let value = sockaddrPointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
                }
                record.ipv4.append(IPv4Address(value))
                found = .v4(IPv4Address(value))
            case AF_INET6:
                let bytes = sockaddrPointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                }
                let address = IPv6Address(bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
                if !(bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80) { record.ipv6Global.append(address) }
                found = .v6(address)
            default:
                found = nil
            }
            byName[name] = record
            if found == address { holder = name }
        }
        return holder.flatMap { byName[$0] }
    }

    /// The interface's first address of `family` (a global one for IPv6), or nil.
    func first(_ family: IPFamily) -> IPAddress? {
        switch family {
        case .ipv4: ipv4.first.map { .v4($0) }
        case .ipv6: ipv6Global.first.map { .v6($0) }
        }
    }
}
