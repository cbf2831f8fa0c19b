#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPcap
import LBKernel

/// The system calls of ``Membership``: its sockets are opened with plain calls because they need options NIO does
/// not set (`ip_mreqn` memberships by interface index, `IP_MULTICAST_IF` by index, `IP_MULTICAST_ALL`).
///
/// - The receive socket (one per family in use) is bound to `0.0.0.0` (or `::`, `IPV6_V6ONLY`) at the heartbeat
///   port with `SO_REUSEADDR`; NIO reads it. For multicast it joins the group on each announcing interface
///   (`IP_ADD_MEMBERSHIP` with the interface index: the kernel sends the IGMP reports), through a duplicate of its
///   descriptor kept for that, and `IP_MULTICAST_ALL` is off so it gets only the groups it joined itself.
/// - Multicast is sent from one socket per interface (`IP_MULTICAST_IF` by index, TTL 1, loop off), unicast from
///   one socket per family; they are bound to an ephemeral port and never read.
enum MembershipSockets {
    /// A system call that failed: what was being done and the error.
    struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The message, naming the step, the port or interface and the system error.
        var message: String
        /// The message.
        var description: String { message }
    }

    /// Opens the receive socket of `family` at `port` (0 picks a free port, for tests).
    static func openReceive(_ family: IPFamily, port: UInt16) throws(Failure) -> CInt {
        let what = "the heartbeat receive socket (\(family == .ipv4 ? "0.0.0.0" : "::") port \(port))"
        let socket = try makeSocket(family, what)
        do throws(Failure) {
            try setOption(socket, SOL_SOCKET, SO_REUSEADDR, 1, "\(what): SO_REUSEADDR")
            if family == .ipv4 {
                try setOption(socket, CInt(IPPROTO_IP), IP_MULTICAST_ALL, 0, "\(what): IP_MULTICAST_ALL")
            }
            try bindAny(socket, family, port: port, what)
            return socket
        } catch {
            _ = close(socket)
            throw error
        }
    }

    /// Opens a socket that sends unicast datagrams of `family`.
    static func openUnicastSender(_ family: IPFamily) throws(Failure) -> CInt {
        let what = "the heartbeat \(family == .ipv4 ? "IPv4" : "IPv6") send socket"
        let socket = try makeSocket(family, what)
        do throws(Failure) {
            try bindAny(socket, family, port: 0, what)
            return socket
        } catch {
            _ = close(socket)
            throw error
        }
    }

    /// Opens a socket that sends IPv4 multicast on the interface of index `index` only, with TTL 1 and without
    /// looping its datagrams back to this host.
    static func openMulticastSender(interface: String, index: CInt) throws(Failure) -> CInt {
        let what = "the heartbeat multicast send socket on \(interface)"
        let socket = try makeSocket(.ipv4, what)
        do throws(Failure) {
            var request = ip_mreqn()
            request.imr_ifindex = index
            try call("\(what): IP_MULTICAST_IF") {
                setsockopt(socket, CInt(IPPROTO_IP), IP_MULTICAST_IF, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
            }
            try setOption(socket, CInt(IPPROTO_IP), IP_MULTICAST_TTL, 1, "\(what): IP_MULTICAST_TTL 1")
            try setOption(socket, CInt(IPPROTO_IP), IP_MULTICAST_LOOP, 0, "\(what): IP_MULTICAST_LOOP")
            try bindAny(socket, .ipv4, port: 0, what)
            return socket
        } catch {
            _ = close(socket)
            throw error
        }
    }

    /// Joins (or leaves) `group` on the interface of index `index` with the receive socket `socket`.
    static func setMembership(_ socket: CInt, group: IPv4Address, interface: String, index: CInt,
                              join: Bool) throws(Failure) {
        var request = ip_mreqn()
        request.imr_multiaddr.s_addr = group.value.bigEndian
        request.imr_ifindex = index
        let option = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP
        try call("\(join ? "joining" : "leaving") \(group) on \(interface)") {
            setsockopt(socket, CInt(IPPROTO_IP), option, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
        }
    }

    /// Sends `bytes` to `address` at `port` from `socket` without blocking; the errno on failure.
    static func send(_ bytes: [UInt8], from socket: CInt, to address: IPAddress, port: UInt16) -> CInt? {
        let result = bytes.withUnsafeBytes { buffer in
            withSocketAddress(address, port: port) {
                sendto(socket, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT), $0, $1)
            }
        }
        return result < 0 ? errno : nil
    }

    /// The index of interface `name`, or nil when there is none by that name.
    static func interfaceIndex(_ name: String) -> CInt? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : CInt(index)
    }

    /// The port `socket` is bound to.
    static func boundPort(_ socket: CInt) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard result == 0 else { return 0 }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// Closes a descriptor this code owns.
    static func closeSocket(_ socket: CInt) {
        _ = close(socket)
    }

    /// The text of errno value `code`.
    static func errorText(_ code: CInt) -> String {
        String(cString: strerror(code))
    }

    private static func makeSocket(_ family: IPFamily, _ what: String) throws(Failure) -> CInt {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let type = CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(domain, type, CInt(IPPROTO_UDP))
        guard descriptor >= 0 else { throw Failure(message: "\(what): socket(): \(errorText(errno))") }
        if family == .ipv6 {
            do throws(Failure) {
                try setOption(descriptor, CInt(IPPROTO_IPV6), IPV6_V6ONLY, 1, "\(what): IPV6_V6ONLY")
            } catch {
                _ = close(descriptor)
                throw error
            }
        }
        return descriptor
    }

    private static func bindAny(_ socket: CInt, _ family: IPFamily, port: UInt16, _ what: String) throws(Failure) {
        let any: IPAddress = family == .ipv4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(0))
        try call("\(what): bind") { withSocketAddress(any, port: port) { bind(socket, $0, $1) } }
    }

    private static func setOption(_ socket: CInt, _ level: CInt, _ name: CInt, _ value: CInt,
                                  _ what: String) throws(Failure) {
        var value = value
        try call(what) { setsockopt(socket, level, name, &value, socklen_t(MemoryLayout<CInt>.size)) }
    }

    private static func call(_ what: String, _ body: () -> CInt) throws(Failure) {
        guard body() == 0 else { throw Failure(message: "\(what): \(errorText(errno))") }
    }

    private static func withSocketAddress<T>(_ address: IPAddress, port: UInt16,
                                             _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch address {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = a.value.bigEndian
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let a):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, byte) in a.bytes.enumerated() { raw[i] = byte }
            }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}

/// Where ``Membership`` makes its sockets and looks up interfaces: the host's network namespace, or (in tests) a
/// namespace entered by a dedicated thread. Socket options and sends do not depend on the calling thread, so only
/// socket creation and interface lookups go through it.
struct MembershipNetwork: Sendable {
    /// Runs `work` synchronously, in the right namespace, before returning.
    var enter: @Sendable (_ work: @escaping () -> Void) -> Void

    /// The namespace of the process.
    static let host = MembershipNetwork { $0() }

    /// The result of `body`, run through ``enter``.
    func perform<T>(_ body: @escaping () throws(MembershipSockets.Failure) -> T) throws(MembershipSockets.Failure) -> T {
        nonisolated(unsafe) var result: Result<T, MembershipSockets.Failure>?
        enter { result = Result { () throws(MembershipSockets.Failure) -> T in try body() } }
        guard let result else {
            throw MembershipSockets.Failure(message: "the network namespace could not be entered")
        }
        return try result.get()
    }
}

extension MembershipSockets {
    /// A second descriptor of `socket` (the same socket), closed on exec.
    static func duplicate(_ socket: CInt) throws(Failure) -> CInt {
        let copy = fcntl(socket, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw Failure(message: "duplicating the heartbeat socket: \(errorText(errno))") }
        return copy
    }
}
