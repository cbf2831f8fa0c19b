#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LBKernel
import NIOCore

/// TCP-MD5 signatures (RFC 2385) through Linux's `TCP_MD5SIG` socket option.
///
/// The key is per peer address and lives on the socket: on a connecting socket it must be set before `connect()`
/// (the SYN is signed), on a listening socket before the peer's SYN arrives. A missing or wrong key is not refused:
/// the kernel silently drops the unsigned or badly signed segments, so a mismatch looks like a connect timeout.
/// NIO's `ChannelOptions.socketOption` carries only `CInt` values, so the option goes through
/// `SocketOptionProvider.unsafeSetSocketOption`, which takes the C struct.
enum TCPMD5 {
    /// The longest key the kernel accepts (`TCP_MD5SIG_MAXKEYLEN`).
    static let maximumKeyLength = 80

    /// Why a key could not be installed.
    struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// What went wrong, naming the peer.
        var message: String

        /// The message.
        var description: String { message }
    }

    #if os(Linux)
    /// The `tcp_md5sig` value that installs `key` for `peer`, or removes the peer's key when `key` is empty.
    ///
    /// `socketIsIPv6` says what the socket is: an IPv6 socket (a dual-stack listener) needs an IPv4 peer as an
    /// IPv4-mapped `sockaddr_in6`, since Linux rejects a `sockaddr_in` there.
    static func signatureOption(peer: IPAddress, key: [UInt8], socketIsIPv6: Bool) throws(Failure) -> tcp_md5sig {
        guard key.count <= maximumKeyLength else {
            throw Failure(message: "the TCP-MD5 password for peer \(peer) is \(key.count) bytes long; "
                + "the kernel accepts at most \(maximumKeyLength) (RFC 2385 keys are limited by TCP_MD5SIG_MAXKEYLEN)")
        }
        var option = tcp_md5sig()
        // tcpm_addr is a sockaddr_storage: a sockaddr_in (family, port, 4 address bytes at offset 4) or a
        // sockaddr_in6 (family, port, flow info, 16 address bytes at offset 8); the port is not used.
        let family: Int32
        let address: [UInt8]
        switch (peer, socketIsIPv6) {
        case (.v4(let v4), false):
            (family, address) = (AF_INET, v4.octets)
        case (.v4(let v4), true):
            (family, address) = (AF_INET6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4.octets)
        case (.v6(let v6), _):
            (family, address) = (AF_INET6, v6.bytes)
        }
        withUnsafeMutableBytes(of: &option.tcpm_addr) { storage in
            storage.storeBytes(of: sa_family_t(family), toByteOffset: 0, as: sa_family_t.self)
            let offset = family == AF_INET ? 4 : 8
            storage.baseAddress!.advanced(by: offset).copyMemory(from: address, byteCount: address.count)
        }
        option.tcpm_keylen = UInt16(key.count)
        withUnsafeMutableBytes(of: &option.tcpm_key) { $0.copyBytes(from: key) }
        return option
    }
    #endif

    /// Installs (or, with a nil password, removes) the key for `peer` on `channel`'s socket.
    ///
    /// Run it in a channel initializer, before connect or bind, so the first SYN is covered.
    static func setKey(_ password: String?, peer: IPAddress, on channel: any Channel, socketIsIPv6: Bool)
        -> EventLoopFuture<Void> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                Failure(message: "cannot set the TCP-MD5 key for peer \(peer): the channel has no socket"))
        }
        let option: tcp_md5sig
        do {
            option = try signatureOption(peer: peer, key: Array((password ?? "").utf8), socketIsIPv6: socketIsIPv6)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return provider.unsafeSetSocketOption(
            level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_MD5SIG), value: option
        ).flatMapErrorThrowing { error in
            throw Failure(message: "setting the TCP-MD5 key (TCP_MD5SIG) for peer \(peer) failed: \(error); "
                + "the kernel needs CONFIG_TCP_MD5SIG")
        }
        #else
        return channel.eventLoop.makeFailedFuture(
            Failure(message: "TCP-MD5 (RFC 2385) for peer \(peer) needs Linux's TCP_MD5SIG socket option"))
        #endif
    }
}
