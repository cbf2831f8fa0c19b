#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LBKernel
import NIOCore

/// The socket settings a BGP session's TCP connection needs, applied to a NIO channel before it connects.
///
/// Order matters: the VRF device first (a source address inside a VRF can only be bound after it), then the
/// TCP-MD5 key (before the SYN), then the TTL, then the source address.
enum SocketOptions {
    /// Why a socket setting failed, in words that name the peer and the setting.
    struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// What went wrong.
        var message: String

        /// The message.
        var description: String { message }
    }

    /// The TTL (IPv4) or hop limit (IPv6) of the packets we send: 1 for a directly connected eBGP peer, 255 when
    /// multihop is allowed or the peer is iBGP (RFC 4271 §5.1.3 leaves this local; BIRD and FRR do the same).
    static func ttl(isIBGP: Bool, ebgpMultiHop: Bool) -> CInt {
        isIBGP || ebgpMultiHop ? 255 : 1
    }

    /// Sets the unicast TTL (`IP_TTL`) or hop limit (`IPV6_UNICAST_HOPS`) of `channel`'s socket.
    static func setTTL(_ ttl: CInt, family: IPFamily, on channel: any Channel) -> EventLoopFuture<Void> {
        #if os(Linux)
        let option = family == .ipv4
            ? ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: IP_TTL))
            : ChannelOptions.Types.SocketOption(level: .ipv6, name: NIOBSDSocket.Option(rawValue: IPV6_UNICAST_HOPS))
        return channel.setOption(option, value: SocketOptionValue(ttl)).flatMapErrorThrowing { error in
            throw Failure(message: "setting the \(family == .ipv4 ? "IP_TTL" : "IPV6_UNICAST_HOPS") to \(ttl) failed: \(error)")
        }
        #else
        return channel.eventLoop.makeSucceededFuture(())
        #endif
    }

    /// Binds `channel`'s socket to the network device `device` (`SO_BINDTODEVICE`), a VRF master device for a
    /// session in a VRF; fails with a message naming the device when the kernel refuses.
    static func bindToDevice(_ device: String, on channel: any Channel) -> EventLoopFuture<Void> {
        #if os(Linux)
        let name = Array(device.utf8)
        guard !name.isEmpty, name.count < Int(IFNAMSIZ) else {
            return channel.eventLoop.makeFailedFuture(
                Failure(message: "'\(device)' is not a valid network device name (1 to \(IFNAMSIZ - 1) bytes)"))
        }
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                Failure(message: "cannot bind to device '\(device)': the channel has no socket"))
        }
        // A 16-byte, NUL-padded name: the kernel reads at most IFNAMSIZ bytes.
        var value: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: name) }
        return provider.unsafeSetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: SO_BINDTODEVICE), value: value
        ).flatMapErrorThrowing { error in
            throw Failure(message: "binding the BGP socket to VRF device '\(device)' (SO_BINDTODEVICE) failed: "
                + "\(error); check that the device exists (`ip link show \(device)`) and that lbd has CAP_NET_RAW")
        }
        #else
        return channel.eventLoop.makeFailedFuture(
            Failure(message: "binding to VRF device '\(device)' needs Linux's SO_BINDTODEVICE"))
        #endif
    }
}
