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
/// the session) and to prepare the table for the session it expects. The socket addresses are built as bytes in the
/// Linux layout (`sockaddr_in`: family, port, address at offset 4; `sockaddr_in6`: address at offset 8).
enum LocalAddressProbe {
    /// The source address for packets to `peer`, or nil when there is no route.
    static func source(towards peer: IPAddress) -> IPAddress? {
        let (domain, length, offset, bytes): (Int32, Int, Int, [UInt8]) = switch peer {
        case .v4(let address): (AF_INET, 16, 4, address.octets)
        case .v6(let address): (AF_INET6, 28, 8, address.bytes)
        }
        let fd = socket(domain, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var remote = [UInt8](repeating: 0, count: 28)
        remote.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: sa_family_t(domain), toByteOffset: 0, as: sa_family_t.self)
            raw.storeBytes(of: UInt16(179).bigEndian, toByteOffset: 2, as: UInt16.self)
            for (index, byte) in bytes.enumerated() { raw[offset + index] = byte }
        }
        let connected = remote.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(length))
        }
        guard connected == 0 else { return nil }
        var local = [UInt8](repeating: 0, count: 28)
        var localLength = socklen_t(local.count)
        let named = local.withUnsafeMutableBytes { raw in
            getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &localLength)
        }
        guard named == 0 else { return nil }
        let value = local[offset..<(offset + bytes.count)].reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return IPAddress(family: peer.family, value: value)
    }
}
