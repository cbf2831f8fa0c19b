#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LBKernel

/// The two UDP sockets of one single-hop BFD session (RFC 5881), opened with plain system calls because they need
/// options NIO does not set (a socket filter, the device binding, a connect to port 0).
///
/// - The receive socket is bound to the local address (or any) and port 3784, and connected to the peer with port
///   0: the kernel then hands it only the peer's datagrams, whatever their source port, and several sessions share
///   port 3784 (`SO_REUSEADDR`), each getting its own peer's packets. It carries the GTSM check of RFC 5881 §5
///   (below). NIO reads it.
/// - The transmit socket is bound to a source port from 49152-65535 (RFC 5881 §4), kept for the session's life,
///   and sends with TTL / hop limit 255 and the Internet Control precedence (DSCP CS6, as FRR does).
///
/// Why a socket filter for the TTL: RFC 5881 §5 requires dropping packets whose TTL or hop limit is not 255. The
/// way to read the received TTL is `IP_RECVTTL` / `IPV6_RECVHOPLIMIT` and the control messages of `recvmsg`; NIO
/// 2.x does call `recvmsg` with a control buffer, but its parser keeps only ECN, packet info and segment size and
/// drops every other control message, so the TTL never reaches the channel. `IP_MINTTL` / `IPV6_MINHOPCOUNT` would
/// do it in the kernel, but Linux applies them to TCP only (tested: a UDP socket with `IP_MINTTL` 255 still
/// receives TTL 254). So a classic BPF filter (`SO_ATTACH_FILTER`) reads the TTL (IPv4 header byte 8) or hop
/// limit (IPv6 header byte 7) through the network-header offset `SKF_NET_OFF`; a packet with another value is
/// not dropped but cut to its first payload byte, which the session counts as ``BFDDiscardReason/hopLimitNot255``
/// (a genuine one-byte datagram is dropped by the same filter, so a one-byte datagram always means a GTSM drop).
struct BFDSockets: Sendable {
    /// The receive socket's descriptor (NIO owns it once the channel is made).
    var receive: CInt
    /// The transmit socket's descriptor.
    var transmit: CInt
    /// The transmit socket's source port.
    var sourcePort: UInt16

    /// The UDP port of single-hop BFD Control packets (RFC 5881 §4).
    static let controlPort: UInt16 = 3784
    /// The source ports a session may use (RFC 5881 §4).
    static let sourcePorts: ClosedRange<UInt16> = 49152...65535
    /// The TTL / hop limit of every packet, sent and received (RFC 5881 §5).
    static let requiredHopLimit: CInt = 255
    /// The payload length of a datagram the GTSM filter cut down.
    static let hopLimitMarkerLength = 1

    /// Where a session's sockets live.
    struct Endpoint: Hashable, Sendable {
        /// The peer.
        var peer: IPAddress
        /// The local address to bind, or nil for any.
        var localAddress: IPAddress?
        /// The device to bind to (`SO_BINDTODEVICE`) and the scope of a link-local peer, or nil.
        var interface: String?
        /// The port to receive on and send to: 3784 except in tests.
        var port: UInt16 = BFDSockets.controlPort
    }

    /// A system call that failed while opening the sockets: what was being done and the error.
    struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The message, naming the step, the address or device and the system error.
        var message: String
        /// The message.
        var description: String { message }
    }

    /// Opens both sockets for `endpoint`; on failure, nothing stays open.
    static func open(_ endpoint: Endpoint) throws(Failure) -> BFDSockets {
        #if os(Linux)
        if let local = endpoint.localAddress, local.family != endpoint.peer.family {
            throw Failure(message: "local address \(local) and BFD peer \(endpoint.peer) are of different families")
        }
        let receive = try openReceiveSocket(endpoint)
        do throws(Failure) {
            let (transmit, port) = try openTransmitSocket(endpoint)
            return BFDSockets(receive: receive, transmit: transmit, sourcePort: port)
        } catch {
            _ = close(receive)
            throw error
        }
        #else
        throw Failure(message: "BFD sessions need Linux (socket filters and SO_BINDTODEVICE)")
        #endif
    }

    /// Sends one datagram to the peer from the transmit socket; returns the errno on failure (never blocks: a full
    /// send buffer is `EAGAIN`, and the packet is lost like any other).
    static func send(_ bytes: UnsafeRawBufferPointer, from socket: CInt, to endpoint: Endpoint) -> CInt? {
        #if os(Linux)
        let result = withSocketAddress(endpoint.peer, port: endpoint.port, interface: endpoint.interface) {
            address, length in sendto(socket, bytes.baseAddress, bytes.count, CInt(MSG_DONTWAIT), address, length)
        }
        return result < 0 ? errno : nil
        #else
        return ENOTSUP
        #endif
    }

    /// Closes a descriptor this code still owns.
    static func closeSocket(_ descriptor: CInt) {
        _ = close(descriptor)
    }
}

#if os(Linux)
extension BFDSockets {
    private static func openReceiveSocket(_ endpoint: Endpoint) throws(Failure) -> CInt {
        let what = "the BFD receive socket for \(endpoint.peer)"
        let socket = try makeSocket(endpoint.peer.family, what)
        do throws(Failure) {
            try setOption(socket, SOL_SOCKET, SO_REUSEADDR, 1, "\(what): SO_REUSEADDR")
            try applyInterface(socket, endpoint, what)
            try attachHopLimitFilter(socket, family: endpoint.peer.family, what)
            let local = endpoint.localAddress ?? anyAddress(endpoint.peer.family)
            try call("\(what): bind to \(local) port \(endpoint.port)") {
                withSocketAddress(local, port: endpoint.port, interface: endpoint.interface) {
                    bind(socket, $0, $1)
                }
            }
            // Port 0: any source port of the peer's (RFC 5881 §4 lets it pick one from 49152-65535).
            try call("\(what): connect to \(endpoint.peer) (the kernel's peer filter)") {
                withSocketAddress(endpoint.peer, port: 0, interface: endpoint.interface) { connect(socket, $0, $1) }
            }
            return socket
        } catch {
            _ = close(socket)
            throw error
        }
    }

    private static func openTransmitSocket(_ endpoint: Endpoint) throws(Failure) -> (CInt, UInt16) {
        let what = "the BFD transmit socket for \(endpoint.peer)"
        let socket = try makeSocket(endpoint.peer.family, what)
        do throws(Failure) {
            switch endpoint.peer.family {
            case .ipv4:
                try setOption(socket, CInt(IPPROTO_IP), IP_TTL, requiredHopLimit, "\(what): IP_TTL 255")
                try setOption(socket, CInt(IPPROTO_IP), IP_TOS, 0xC0, "\(what): IP_TOS CS6")
            case .ipv6:
                try setOption(socket, CInt(IPPROTO_IPV6), IPV6_UNICAST_HOPS, requiredHopLimit,
                              "\(what): IPV6_UNICAST_HOPS 255")
                try setOption(socket, CInt(IPPROTO_IPV6), IPV6_TCLASS, 0xC0, "\(what): IPV6_TCLASS CS6")
            }
            try applyInterface(socket, endpoint, what)
            let local = endpoint.localAddress ?? anyAddress(endpoint.peer.family)
            var generator = SystemRandomNumberGenerator()
            // A random port in the range; a port in use is tried again, up to a bound.
            for _ in 0..<128 {
                let port = UInt16.random(in: sourcePorts, using: &generator)
                let result = withSocketAddress(local, port: port, interface: endpoint.interface) {
                    bind(socket, $0, $1)
                }
                if result == 0 { return (socket, port) }
                guard errno == EADDRINUSE else {
                    throw Failure(message: "\(what): bind to \(local) port \(port): \(errorText(errno))")
                }
            }
            throw Failure(message: "\(what): no free source port in 49152-65535 on \(local) after 128 tries")
        } catch {
            _ = close(socket)
            throw error
        }
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

    /// `SO_BINDTODEVICE` when the endpoint names an interface (a VRF device works too).
    private static func applyInterface(_ socket: CInt, _ endpoint: Endpoint, _ what: String) throws(Failure) {
        guard let interface = endpoint.interface else { return }
        let name = Array(interface.utf8)
        guard !name.isEmpty, name.count < Int(IFNAMSIZ) else {
            throw Failure(message: "\(what): '\(interface)' is not a valid network device name")
        }
        try call("\(what): SO_BINDTODEVICE \(interface)") {
            name.withUnsafeBytes { setsockopt(socket, SOL_SOCKET, SO_BINDTODEVICE, $0.baseAddress, socklen_t($0.count)) }
        }
    }

    /// The GTSM filter described on ``BFDSockets``.
    private static func attachHopLimitFilter(_ socket: CInt, family: IPFamily, _ what: String) throws(Failure) {
        let networkHeader: UInt32 = 0xFFF0_0000  // SKF_NET_OFF (-0x100000) as an unsigned offset.
        let hopLimitOffset: UInt32 = family == .ipv4 ? 8 : 7
        let udpHeaderLength: UInt32 = 8
        let markerLength = udpHeaderLength + UInt32(hopLimitMarkerLength)
        // (code, jump if true, jump if false, k) as in struct sock_filter.
        let program: [(UInt16, UInt8, UInt8, UInt32)] = [
            (0x30, 0, 0, networkHeader + hopLimitOffset),  // ldb [net + offset]: the TTL or hop limit
            (0x15, 1, 0, UInt32(requiredHopLimit)),  // jeq #255: to the length check
            (0x06, 0, 0, markerLength),  // ret #9: the UDP header and one payload byte, the marker
            (0x80, 0, 0, 0),  // ld len (the UDP header and the payload)
            (0x15, 0, 1, markerLength),  // jeq #9: a genuine one-byte datagram
            (0x06, 0, 0, 0),  // ret #0: dropped, so that one byte only ever means a GTSM drop
            (0x06, 0, 0, 0xFFFF_FFFF),  // ret all: accepted
        ]
        var instructions = [UInt8]()
        for (code, jt, jf, k) in program {
            withUnsafeBytes(of: code.littleEndian) { instructions.append(contentsOf: $0) }
            instructions.append(jt)
            instructions.append(jf)
            withUnsafeBytes(of: k.littleEndian) { instructions.append(contentsOf: $0) }
        }
        try call("\(what): SO_ATTACH_FILTER (the TTL 255 check of RFC 5881 §5)") {
            instructions.withUnsafeBytes { filter in
                // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
                var fprog: (UInt16, UInt16, UInt32, UnsafeRawPointer?) = (UInt16(program.count), 0, 0, filter.baseAddress)
                return setsockopt(socket, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
                                  socklen_t(MemoryLayout.size(ofValue: fprog)))
            }
        }
    }

    private static func setOption(_ socket: CInt, _ level: CInt, _ name: CInt, _ value: CInt,
                                  _ what: String) throws(Failure) {
        var value = value
        try call(what) { setsockopt(socket, level, name, &value, socklen_t(MemoryLayout<CInt>.size)) }
    }

    private static func call(_ what: String, _ body: () -> CInt) throws(Failure) {
        guard body() == 0 else { throw Failure(message: "\(what): \(errorText(errno))") }
    }

    private static func anyAddress(_ family: IPFamily) -> IPAddress {
        IPAddress(family: family, value: 0)
    }

    /// Calls `body` with `address`:`port` as a `sockaddr`; a link-local IPv6 address gets `interface` as its scope.
    ///
    /// Built byte by byte in Linux's layout (`sockaddr_in`: family, port, address; `sockaddr_in6`: family, port,
    /// flow info, address, scope ID), so that no member of the C structs is named.
    static func withSocketAddress<R>(_ address: IPAddress, port: UInt16, interface: String?,
                                     _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var bytes: [UInt8]
        switch address {
        case .v4(let v4):
            bytes = [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: UInt16(AF_INET)) { bytes.replaceSubrange(0..<2, with: $0) }
            withUnsafeBytes(of: port.bigEndian) { bytes.replaceSubrange(2..<4, with: $0) }
            withUnsafeBytes(of: v4.value.bigEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        case .v6(let v6):
            bytes = [UInt8](repeating: 0, count: 28)
            withUnsafeBytes(of: UInt16(AF_INET6)) { bytes.replaceSubrange(0..<2, with: $0) }
            withUnsafeBytes(of: port.bigEndian) { bytes.replaceSubrange(2..<4, with: $0) }
            bytes.replaceSubrange(8..<24, with: v6.bytes)
            if v6.value >> 118 == 0x3FA, let interface {  // fe80::/10: scoped to the interface
                withUnsafeBytes(of: if_nametoindex(interface)) { bytes.replaceSubrange(24..<28, with: $0) }
            }
        }
        return bytes.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    static func errorText(_ code: CInt) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
#endif
