#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LBKernel

/// Finds the local address the kernel would use to reach a peer, without sending anything: a UDP socket is
/// connected (which only looks up the route) and asked for its local address.
///
/// lbd needs it before the BGP session exists, to derive the router ID as MetalLB does (the local IPv4 address of
/// the session).
enum LocalAddressProbe {
    /// The source address for packets to `peer`, or nil when there is no route.
    static func source(towards peer: IPAddress) -> IPAddress? {
        switch peer {
        case .v4(let address):
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var remote = sockaddr_in()
            remote.sin_family = sa_family_t(AF_INET)
            remote.sin_port = in_port_t(179).bigEndian
            remote.sin_addr.s_addr = address.value.bigEndian
            let connected = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { return nil }
            var local = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { return nil }
            return .v4(IPv4Address(UInt32(bigEndian: local.sin_addr.s_addr)))
        case .v6(let address):
            let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var remote = sockaddr_in6()
            remote.sin6_family = sa_family_t(AF_INET6)
            remote.sin6_port = in_port_t(179).bigEndian
            withUnsafeMutableBytes(of: &remote.sin6_addr) { $0.copyBytes(from: address.bytes) }
            let connected = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
            guard connected == 0 else { return nil }
            var local = sockaddr_in6()
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            let named = withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { return nil }
            let bytes = withUnsafeBytes(of: local.sin6_addr) { Array($0) }
            let value = bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
            return .v6(IPv6Address(value))
        }
    }
}
