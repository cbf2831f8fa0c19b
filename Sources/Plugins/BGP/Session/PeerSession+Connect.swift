import LBKernel
import NIOCore
import NIOPosix

extension PeerSession {
    /// Opens an outgoing connection to the peer as connection `id`; the result comes back as
    /// ``Input/connectFinished(_:_:)``.
    ///
    /// The channel initializer runs before `connect()`: VRF device, TCP-MD5 key, TTL, source address, then the
    /// connection handler, so the first SYN is already bound, signed and limited.
    func startConnect(id: UInt64) {
        guard let peerAddress = configuration.peer.peerAddress else { return }
        let target = peerAddress.socketAddress(port: Int(configuration.peer.peerPort))
        let sink = connectionSink(id)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.writeBufferWaterMark, value: BGPConnection.writeBufferWaterMark)
            .channelInitializer { [self] channel in
                prepareSocket(channel, peer: peerAddress).flatMapThrowing { [self] in
                    guard register(channel, id: id) else { throw ChannelError.ioOnClosedChannel }
                    _ = try BGPConnection.install(on: channel, id: id, direction: .outgoing, sink: sink)
                }
            }
        bootstrap.connect(to: target).flatMapThrowing { channel in
            try BGPConnection.attached(to: channel, id: id, direction: .outgoing)
        }.whenComplete { [self] result in
            if case .terminated = inputContinuation.yield(.connectFinished(id, result)),
               case .success(let connection) = result {
                connection.close()
            }
        }
    }

    /// Takes over a connection the listener accepted from the peer; call it in the listener's child channel
    /// initializer (on the channel's event loop, before the channel is active).
    func adopt(_ channel: any Channel) -> EventLoopFuture<Void> {
        let id = nextConnectionID()
        guard let peerAddress = configuration.peer.peerAddress, register(channel, id: id) else {
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let sink = connectionSink(id)
        return channel.setOption(.writeBufferWaterMark, value: BGPConnection.writeBufferWaterMark).flatMap {
            SocketOptions.setTTL(self.ttl, family: peerAddress.family, on: channel)
        }.flatMapThrowing { [self] in
            let connection = try BGPConnection.install(on: channel, id: id, direction: .incoming, sink: sink)
            if case .terminated = inputContinuation.yield(.incoming(connection)) {
                throw ChannelError.ioOnClosedChannel
            }
        }
    }

    /// The TTL of our packets: 1 to a directly connected eBGP peer, 255 otherwise.
    var ttl: CInt {
        SocketOptions.ttl(isIBGP: configuration.peer.isIBGP, ebgpMultiHop: configuration.peer.ebgpMultiHop)
    }

    /// Applies the peer's socket settings to a fresh outgoing channel, in the order the kernel needs.
    private func prepareSocket(_ channel: any Channel, peer: IPAddress) -> EventLoopFuture<Void> {
        let peerConfig = configuration.peer
        var ready = channel.eventLoop.makeSucceededVoidFuture()
        if let vrf = peerConfig.vrf, !vrf.isEmpty {
            ready = ready.flatMap { SocketOptions.bindToDevice(vrf, on: channel) }
        }
        if let password = configuration.password {
            ready = ready.flatMap {
                TCPMD5.setKey(password, peer: peer, on: channel, socketIsIPv6: peer.family == .ipv6)
            }
        }
        let ttl = self.ttl
        ready = ready.flatMap { SocketOptions.setTTL(ttl, family: peer.family, on: channel) }
        if let source = peerConfig.sourceAddress {
            guard source.family == peer.family else {
                return channel.eventLoop.makeFailedFuture(SocketOptions.Failure(message:
                    "BGP peer \(peerConfig.name): sourceAddress \(source) is \(source.family) but peerAddress \(peer) "
                        + "is \(peer.family)"))
            }
            ready = ready.flatMap {
                channel.bind(to: source.socketAddress(port: 0)).flatMapErrorThrowing { error in
                    throw SocketOptions.Failure(message: "BGP peer \(peerConfig.name): binding to sourceAddress "
                        + "\(source) failed: \(error); is the address configured on this node"
                        + (peerConfig.vrf.map { " in VRF \($0)" } ?? "") + "?")
                }
            }
        }
        return ready
    }

    /// Where connection `id` reports its events: into ``run()``'s inputs.
    private func connectionSink(_ id: UInt64) -> @Sendable (BGPConnection.Event) -> Void {
        let continuation = inputContinuation
        return { event in continuation.yield(.connection(id, event)) }
    }
}
