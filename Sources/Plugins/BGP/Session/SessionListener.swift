public import LBKernel
public import Logging
public import NIOCore
import NIOPosix
import Synchronization

/// Accepts BGP connections from peers (TCP port 179 by default) and hands each to the ``PeerSession`` of the peer
/// whose address it comes from; a connection from any other address is closed at once, logged and counted.
///
/// The listening sockets carry the TCP-MD5 key (RFC 2385) of every peer with a password, set before `listen()` and
/// updated whenever ``setSessions(_:)`` changes the peers, so a signed SYN from a peer is answered and an unsigned
/// or badly signed one is dropped by the kernel.
public final class SessionListener: Sendable {
    /// Where to listen.
    public struct Configuration: Hashable, Sendable {
        /// The addresses to listen on; `::` (all IPv6 and, through IPv4-mapped addresses, all IPv4) by default.
        public var addresses: [IPAddress]
        /// The TCP port: 179 (RFC 4271 §8.2.1), or 0 for any free port (tests).
        public var port: Int
        /// A VRF device to bind the listening sockets to (`SO_BINDTODEVICE`), or nil for the default VRF.
        public var device: String?

        /// Creates a configuration.
        public init(addresses: [IPAddress] = [.v6(IPv6Address(0))], port: Int = 179, device: String? = nil) {
            self.addresses = addresses
            self.port = port
            self.device = device
        }
    }

    /// The listener's settings.
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var sessions: [IPAddress: PeerSession] = [:]
        /// The TCP-MD5 keys on the listening sockets, by peer address.
        var keys: [IPAddress: String] = [:]
        var channels: [any Channel] = []
        var bound: [SocketAddress] = []
        var boundWaiters: [CheckedContinuation<[SocketAddress], any Error>] = []
        var failure: (any Error)?
        var rejected = 0
    }

    /// Creates a listener; nothing is bound until ``run()``.
    public init(configuration: Configuration = Configuration(), group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// How many connections from unknown addresses were closed.
    public var rejectedConnections: Int { state.withLock { $0.rejected } }

    /// Sets the sessions that receive connections, by peer address, and the TCP-MD5 keys of those with a password.
    ///
    /// Keys of peers no longer present are removed from the listening sockets.
    public func setSessions(_ sessions: [PeerSession]) async {
        var byAddress: [IPAddress: PeerSession] = [:]
        var keys: [IPAddress: String] = [:]
        for session in sessions {
            guard let address = session.configuration.peer.peerAddress else { continue }
            byAddress[address] = session
            if let password = session.configuration.password { keys[address] = password }
        }
        let (channels, removed) = state.withLock { state in
            let removed = Set(state.keys.keys).subtracting(keys.keys)
            state.sessions = byAddress
            state.keys = keys
            return (state.channels, removed)
        }
        for channel in channels {
            await apply(keys: keys, removing: removed, to: channel)
        }
    }

    /// Binds the listening sockets and accepts connections until the task is cancelled; throws when a socket cannot
    /// be bound (the port in use, or the address or VRF device missing).
    public func run() async throws {
        var channels: [any Channel] = []
        do {
            for address in configuration.addresses {
                channels.append(try await bind(address))
            }
        } catch {
            for channel in channels { try? await channel.close() }
            let waiters = state.withLock { state in
                state.failure = error
                defer { state.boundWaiters = [] }
                return state.boundWaiters
            }
            for waiter in waiters { waiter.resume(throwing: error) }
            throw error
        }
        let (bound, waiters) = state.withLock { state in
            state.bound = channels.compactMap(\.localAddress)
            defer { state.boundWaiters = [] }
            return (state.bound, state.boundWaiters)
        }
        for waiter in waiters { waiter.resume(returning: bound) }
        let listening = bound.map { "\($0)" }.joined(separator: ", ")
            + (configuration.device.map { " in VRF \($0)" } ?? "")
        logger.info("BGP listener: accepting connections on \(listening)")
        let listeners = channels
        await withTaskCancellationHandler {
            for channel in listeners { try? await channel.closeFuture.get() }
        } onCancel: {
            for channel in listeners { channel.close(promise: nil) }
        }
        state.withLock { $0.channels = [] }
    }

    /// The bound addresses (with the real port when the configured one is 0), once ``run()`` has bound them.
    public func boundAddresses() async throws -> [SocketAddress] {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLock { state -> Result<[SocketAddress], any Error>? in
                if let failure = state.failure { return .failure(failure) }
                if !state.bound.isEmpty { return .success(state.bound) }
                state.boundWaiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    private func bind(_ address: IPAddress) async throws -> any Channel {
        let device = configuration.device
        let socketIsIPv6 = address.family == .ipv6
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelInitializer { [self] channel in
                // Before bind and listen: the VRF device, then every peer's key, so no SYN slips through unkeyed.
                var ready = channel.eventLoop.makeSucceededVoidFuture()
                if let device { ready = ready.flatMap { SocketOptions.bindToDevice(device, on: channel) } }
                let keys = state.withLock { state in
                    state.channels.append(channel)
                    return state.keys
                }
                for (peer, password) in keys {
                    ready = ready.flatMap {
                        TCPMD5.setKey(password, peer: peer, on: channel, socketIsIPv6: socketIsIPv6)
                    }
                }
                return ready
            }
            .childChannelInitializer { [self] channel in accept(channel) }
        do {
            return try await bootstrap.bind(to: address.socketAddress(port: configuration.port)).get()
        } catch {
            throw SocketOptions.Failure(message: "BGP listener: cannot listen on "
                + "\(address.family == .ipv6 ? "[\(address)]" : "\(address)"):\(configuration.port)"
                + "\(device.map { " in VRF \($0)" } ?? ""): \(error)")
        }
    }

    /// Hands an accepted connection to its peer's session, or closes it.
    private func accept(_ channel: any Channel) -> EventLoopFuture<Void> {
        let remote = channel.remoteAddress.flatMap(IPAddress.init)
        let session = remote.flatMap { address in state.withLock { $0.sessions[address] } }
        guard let session else {
            let count = state.withLock { state in
                state.rejected += 1
                return state.rejected
            }
            let source = remote.map { "\($0)" } ?? "an unknown address"
            logger.notice("BGP listener: closing connection from \(source), not a configured peer (\(count) so far)")
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        return session.adopt(channel)
    }

    private func apply(keys: [IPAddress: String], removing removed: Set<IPAddress>, to channel: any Channel) async {
        let socketIsIPv6 = channel.localAddress?.protocol == .inet6
        for (peer, password) in keys {
            do {
                try await TCPMD5.setKey(password, peer: peer, on: channel, socketIsIPv6: socketIsIPv6).get()
            } catch {
                logger.error("BGP listener: \(error)")
            }
        }
        for peer in removed {
            try? await TCPMD5.setKey(nil, peer: peer, on: channel, socketIsIPv6: socketIsIPv6).get()
        }
    }
}
