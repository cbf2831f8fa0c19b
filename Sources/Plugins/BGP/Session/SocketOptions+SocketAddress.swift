import LBKernel
import NIOCore

extension IPAddress {
    /// This address as a NIO socket address with `port`.
    func socketAddress(port: Int) -> SocketAddress {
        // The text form always parses: it is what IPAddress prints.
        try! SocketAddress(ipAddress: description, port: port)
    }

    /// The address of a NIO socket address; an IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4
    /// peer) becomes the IPv4 address; nil for Unix sockets.
    init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4, .v6:
            // sockaddr_in: family, port, then the 4 address bytes at offset 4; sockaddr_in6: family, port,
            // flow info, then the 16 address bytes at offset 8.
            let bytes: [UInt8] = socketAddress.withSockAddr { pointer, size in
                Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: size))
            }
            if case .v4 = socketAddress {
                self = .v4(IPv4Address(bytes[4], bytes[5], bytes[6], bytes[7]))
                return
            }
            let value = bytes[8..<24].reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
            if value >> 32 == 0xFFFF {
                self = .v4(IPv4Address(UInt32(truncatingIfNeeded: value)))
            } else {
                self = .v6(IPv6Address(value))
            }
        case .unixDomainSocket:
            return nil
        }
    }
}
