#if canImport(Glibc)
import Glibc
#endif
import LBKernel
import LBKernelTestKit
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import BGPPlugin

/// Two PeerSessions talking over loopback (one passive behind a SessionListener, one active), and a hand-driven
/// fake peer: Established, keepalives, the Cease on shutdown, UPDATE counting, ROUTE-REFRESH, sends.
@Suite struct PeerSessionTests {
    @Test(arguments: ["127.0.0.1", "::1"])
    func activeAndPassiveSessionsComeUpKeepAliveAndSeeTheCease(address: String) async throws {
        let loopback = IPAddress(address)!
        try await LoopbackPair.run(address: loopback) { pair in
            let (active, passive) = try await pair.waitEstablished()
            #expect(active.peerAddress == loopback && passive.peerAddress == loopback)
            #expect(active.negotiated.holdTime == 3 && active.negotiated.keepaliveTime == 1)
            #expect(active.negotiated.families == [.unicast(loopback.family)])
            #expect(active.generation == 1 && passive.generation == 1)
            // Hold 3 s, keepalive 1 s: the sessions stay up only if keepalives flow both ways.
            try await Task.sleep(for: .seconds(4))
            #expect(pair.active.state == .established && pair.passive.state == .established)
            #expect(pair.activeEvents.downs.isEmpty && pair.passiveEvents.downs.isEmpty)

            await pair.active.shutdown()
            let reason = try await pair.passiveEvents.waitForDown()
            let cease = NotificationMessage(code: .cease,
                                            subcode: NotificationMessage.CeaseSubcode.administrativeShutdown.rawValue)
            #expect(reason == .notificationReceived(cease))
            #expect(pair.activeEvents.downs == [.stopped(.administrativeShutdown(message: nil))])
        }
    }

    /// TTL 1 towards a directly connected eBGP peer, 255 with multihop (IP_TTL, IPV6_UNICAST_HOPS).
    @Test(arguments: [("127.0.0.1", false, 1), ("127.0.0.1", true, 255), ("::1", false, 1), ("::1", true, 255)])
    func theTTLFollowsMultihop(address: String, multihop: Bool, expected: Int) async throws {
        let loopback = IPAddress(address)!
        try await LoopbackPair.run(address: loopback, adjustActivePeer: { $0.ebgpMultiHop = multihop }) { pair in
            _ = try await pair.waitEstablished()
            let link = try #require(pair.active.shared.withLock { $0.established?.connection })
            let option = loopback.family == .ipv4
                ? ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: IP_TTL))
                : ChannelOptions.Types.SocketOption(level: .ipv6,
                                                    name: NIOBSDSocket.Option(rawValue: IPV6_UNICAST_HOPS))
            let ttl = try await link.channel.getOption(option).get()
            #expect(ttl == expected)
        }
    }

    @Test func aSessionBoundToADeviceComesUpThroughIt() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!, adjustActivePeer: { $0.vrf = "lo" }) { pair in
            _ = try await pair.waitEstablished()
        }
    }

    @Test func aMissingVRFDeviceIsReportedClearly() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!,
                                   adjustActivePeer: { $0.vrf = "lbdt-novrf0" }) { pair in
            try await Task.sleep(for: .milliseconds(800))
            #expect(pair.activeEvents.established.isEmpty)
            #expect(pair.activeLog.messages.contains {
                $0.contains("VRF device 'lbdt-novrf0' (SO_BINDTODEVICE) failed")
            }, "\(pair.activeLog.messages)")
        }
    }

    @Test func sendWritesUpdatesAndTheFarEndCountsAndDropsThem() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!) { pair in
            let (active, _) = try await pair.waitEstablished()
            let count = 20_000
            try await pair.active.send(generation: active.generation) { buffer, options in
                for _ in 0..<count { BGPMessage.update(.endOfRIB(.ipv4Unicast)).encode(into: &buffer, options: options) }
                return count
            }
            #expect(pair.active.statistics.updatesSent == count)
            try await withTimeout(.seconds(10), waitingFor: "\(count) UPDATEs counted by the passive side") {
                while pair.passive.statistics.updatesReceived < count { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(pair.passive.statistics.updatesReceivedThisSession == count)
            #expect(pair.passive.state == .established)

            // A send for a generation that is not the Established one fails.
            await #expect(throws: PeerSession.Failure.self) {
                try await pair.active.send(generation: active.generation + 1) { _, _ in 0 }
            }
        }
    }

    @Test func tearDownClosesAndTheSessionComesBackWithTheNextGeneration() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!) { pair in
            let (first, _) = try await pair.waitEstablished()
            pair.active.tearDown(reason: .bfdDown)
            let reason = try await pair.passiveEvents.waitForDown()
            #expect(reason == .notificationReceived(NotificationMessage(
                code: .cease, subcode: SessionStopReason.bfdDownCeaseSubcode)))
            let again = try await pair.activeEvents.waitForEstablished(count: 2)
            #expect(again.generation == first.generation + 1)
            await #expect(throws: PeerSession.Failure.self) {
                try await pair.active.send(generation: first.generation) { _, _ in 0 }
            }
        }
    }

    @Test func aConnectionFromAnUnknownAddressIsClosedAndCounted() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!, startActive: false) { pair in
            let port = try await pair.listenerPort()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(to: SocketAddress(ipAddress: "127.0.0.9", port: 0))
                .connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port)).get()
            try await withTimeout(.seconds(5), waitingFor: "the listener to close the unknown connection") {
                try await channel.closeFuture.get()
            }
            #expect(pair.listener.rejectedConnections == 1)
            #expect(pair.passive.statistics.incomingConnections == 0)
        }
    }
}

/// A fake peer driven by hand: ROUTE-REFRESH becomes an event; UPDATEs are counted.
@Suite struct PeerSessionFakePeerTests {
    @Test func routeRefreshIsPassedOnAndUpdatesAreCounted() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!, startActive: false) { pair in
            let peer = try await FakePeer.connect(port: try await pair.listenerPort())
            defer { peer.close() }
            let open = OpenMessage(myAS: LoopbackPair.activeAS, holdTime: 30, bgpIdentifier: LoopbackPair.activeID,
                                   capabilities: [.multiprotocol(.ipv4Unicast), .routeRefresh,
                                                  .fourOctetAS(LoopbackPair.activeAS)])
            peer.send([.open(open), .keepalive])
            let established = try await pair.passiveEvents.waitForEstablished()
            #expect(established.negotiated.peerRouteRefresh)
            let update = BGPMessage.update(.endOfRIB(.ipv4Unicast))
            peer.send(Array(repeating: update, count: 5) + [.routeRefresh(RouteRefreshMessage(family: .ipv4Unicast))])
            let family = try await pair.passiveEvents.waitForRouteRefresh()
            #expect(family == .ipv4Unicast)
            #expect(pair.passive.statistics.updatesReceived == 5)
            #expect(pair.passive.statistics.routeRefreshesReceived == 1)
        }
    }

    /// A peer that stops reading holds ``PeerSession/send(generation:_:)`` back: the channel buffers at most about
    /// a chunk plus the high water mark, and the send completes once the peer reads again.
    @Test func aSlowPeerHoldsTheSenderBackWithABoundedOutboundBuffer() async throws {
        try await LoopbackPair.run(address: IPAddress("127.0.0.1")!, startActive: false) { pair in
            let fake = try await FakePeer.connect(port: try await pair.listenerPort())
            defer { fake.close() }
            fake.send([.open(OpenMessage(myAS: LoopbackPair.activeAS, holdTime: 30,
                                         bgpIdentifier: LoopbackPair.activeID,
                                         capabilities: [.fourOctetAS(LoopbackPair.activeAS)]))])
            fake.send([.keepalive])
            let established = try await pair.passiveEvents.waitForEstablished()
            try await fake.discardInbound()
            try await fake.channel.setOption(.autoRead, value: false).get()
            // 10,000 messages of 4096 octets (40 MB): more than the loopback socket buffers hold.
            var message = ByteBuffer(repeating: 0xFF, count: 16)
            message.writeInteger(UInt16(4096))
            message.writeInteger(BGPMessage.Kind.update.rawValue)
            message.writeRepeatingByte(0, count: 4096 - 19)
            let template = message
            let done = Mutex(false)
            let session = pair.passive
            let sender = Task {
                try await session.send(generation: established.generation) { buffer, _ in
                    for _ in 0..<10_000 { buffer.writeImmutableBuffer(template) }
                    return 10_000
                }
                done.withLock { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(700))
            #expect(!done.withLock { $0 })
            let link = try #require(pair.passive.shared.withLock { $0.established?.connection })
            let buffered = try await link.channel.getOption(.bufferedWritableBytes).get()
            #expect(buffered <= BGPConnection.chunkSize + 1024 * 1024 + 4096, "\(buffered) bytes buffered")
            try await fake.channel.setOption(.autoRead, value: true).get()
            try await withTimeout(.seconds(20), waitingFor: "the send to finish once the peer reads") {
                try await sender.value
            }
            #expect(pair.passive.statistics.updatesSent == 10_000)
        }
    }

    /// A passive peer that sends its OPEN and KEEPALIVE the moment it accepts (as BIRD does): the bytes can be read
    /// before the connect result is handled, and must not be lost.
    @Test func aPeerThatSpeaksFirstIsHeardFromTheFirstByte() async throws {
        final class SpeakFirst: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            func channelActive(context: ChannelHandlerContext) {
                var buffer = context.channel.allocator.buffer(capacity: 128)
                BGPMessage.open(OpenMessage(myAS: LoopbackPair.passiveAS, holdTime: 30,
                                            bgpIdentifier: LoopbackPair.passiveID,
                                            capabilities: [.fourOctetAS(LoopbackPair.passiveAS)]))
                    .encode(into: &buffer, options: BGPCodecOptions())
                BGPMessage.keepalive.encode(into: &buffer, options: BGPCodecOptions())
                context.writeAndFlush(NIOAny(buffer), promise: nil)
                context.fireChannelActive()
            }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SpeakFirst()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let peer = LoopbackPair.peer(name: "speaks-first", myASN: LoopbackPair.activeAS, peerASN: LoopbackPair.passiveAS,
                                     address: IPAddress("127.0.0.1")!, port: UInt16(server.localAddress!.port!))
        let session = PeerSession(configuration: LoopbackPair.configuration(peer, routerID: LoopbackPair.activeID),
                                  group: group, logger: CapturedLog().logger)
        let events = EventRecorder()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await session.run() }
            tasks.addTask { await events.consume(session.events) }
            _ = try await events.waitForEstablished()
            tasks.cancelAll()
        }
    }

    @Test func cancellingRunSendsTheCeaseBeforeClosing() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let log = CapturedLog()
        let address = IPAddress("127.0.0.1")!
        let listener = SessionListener(configuration: .init(addresses: [address], port: 0), group: group,
                                       logger: log.logger)
        let peer = LoopbackPair.peer(name: "fake", myASN: LoopbackPair.passiveAS, peerASN: LoopbackPair.activeAS,
                                     address: address, passive: true)
        let session = PeerSession(configuration: LoopbackPair.configuration(peer, routerID: LoopbackPair.passiveID),
                                  group: group, logger: log.logger)
        await listener.setSessions([session])
        let events = EventRecorder()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await listener.run() }
            tasks.addTask { try await session.run() }
            tasks.addTask { await events.consume(session.events) }
            let port = try await withTimeout(.seconds(5), waitingFor: "the listener to bind") {
                try await listener.boundAddresses().first!.port!
            }
            let fake = try await FakePeer.connect(port: port)
            defer { fake.close() }
            fake.send([.open(OpenMessage(myAS: LoopbackPair.activeAS, holdTime: 30,
                                         bgpIdentifier: LoopbackPair.activeID,
                                         capabilities: [.fourOctetAS(LoopbackPair.activeAS)])), .keepalive])
            _ = try await events.waitForEstablished()
            tasks.cancelAll()
            let cease = try await fake.waitForMessage("the Cease") {
                if case .notification = $0 { true } else { false }
            }
            #expect(cease == .notification(NotificationMessage(
                code: .cease, subcode: NotificationMessage.CeaseSubcode.administrativeShutdown.rawValue)))
            try await withTimeout(.seconds(5), waitingFor: "the session to close the connection") {
                try await fake.channel.closeFuture.get()
            }
        }
    }
}
