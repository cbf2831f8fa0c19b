import LBKernel
import LBKernelTestKit
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import BGPPlugin

/// Two active sessions that connect to each other at once (RFC 4271 §6.8), and the backoff after refused connects.
@Suite struct PeerSessionCollisionTests {
    @Test func bothSidesConnectingAtOnceLeaveExactlyOneSession() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let addressA = IPAddress("127.0.0.1")!
        let addressB = IPAddress("127.0.0.2")!
        let logA = CapturedLog()
        let logB = CapturedLog()
        let listenerA = SessionListener(configuration: .init(addresses: [addressA], port: 0), group: group,
                                        logger: logA.logger)
        let listenerB = SessionListener(configuration: .init(addresses: [addressB], port: 0), group: group,
                                        logger: logB.logger)
        let eventsA = EventRecorder()
        let eventsB = EventRecorder()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await listenerA.run() }
            tasks.addTask { try await listenerB.run() }
            let (portA, portB) = try await withTimeout(.seconds(5), waitingFor: "both listeners to bind") {
                (try await listenerA.boundAddresses().first!.port!, try await listenerB.boundAddresses().first!.port!)
            }
            let peerB = LoopbackPair.peer(name: "b", myASN: 64512, peerASN: 64513, address: addressB,
                                          port: UInt16(portB), source: addressA)
            let peerA = LoopbackPair.peer(name: "a", myASN: 64513, peerASN: 64512, address: addressA,
                                          port: UInt16(portA), source: addressB)
            let sessionA = PeerSession(configuration: LoopbackPair.configuration(peerB, routerID: LoopbackPair.activeID),
                                       group: group, logger: logA.logger)
            let sessionB = PeerSession(configuration: LoopbackPair.configuration(peerA, routerID: LoopbackPair.passiveID),
                                       group: group, logger: logB.logger)
            await listenerA.setSessions([sessionA])
            await listenerB.setSessions([sessionB])
            tasks.addTask { await eventsA.consume(sessionA.events) }
            tasks.addTask { await eventsB.consume(sessionB.events) }
            tasks.addTask { try await sessionA.run() }
            tasks.addTask { try await sessionB.run() }

            _ = try await eventsA.waitForEstablished()
            _ = try await eventsB.waitForEstablished()
            // Let the losing connection close and any late collision play out.
            try await Task.sleep(for: .seconds(2))
            #expect(sessionA.state == .established && sessionB.state == .established)
            #expect(eventsA.downs.isEmpty && eventsB.downs.isEmpty, "\(logA.messages) \(logB.messages)")
            #expect(sessionA.statistics.established == 1 && sessionB.statistics.established == 1)
            // Both connected at start, so each saw both connections and closed one by the same rule.
            #expect(sessionA.statistics.collisions == 1 && sessionB.statistics.collisions == 1,
                    "\(logA.messages) \(logB.messages)")
            #expect(sessionA.shared.withLock { $0.liveChannels.count } == 1)
            #expect(sessionB.shared.withLock { $0.liveChannels.count } == 1)
            // Both speakers keep the same TCP connection: the one initiated by B, whose identifier is higher.
            let linkA = try #require(sessionA.shared.withLock { $0.established?.connection })
            let linkB = try #require(sessionB.shared.withLock { $0.established?.connection })
            #expect(linkA.direction == .incoming && linkB.direction == .outgoing)
            #expect(linkA.channel.remoteAddress == linkB.channel.localAddress)
            tasks.cancelAll()
        }
    }

    @Test func refusedConnectsBackOffExponentially() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        // A port nobody listens on: bind one, note it, close it.
        let probe = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        let peer = LoopbackPair.peer(name: "nobody", myASN: 64512, peerASN: 64513, address: IPAddress("127.0.0.1")!,
                                     port: UInt16(port))
        let session = PeerSession(configuration: LoopbackPair.configuration(peer, routerID: LoopbackPair.activeID,
                                                                            initialDelay: .milliseconds(100)),
                                  group: group, logger: CapturedLog().logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await session.run() }
            // Attempts at 0, 0.1, 0.3, 0.7, 1.5 s: delays from 100 ms doubling, each cut by at most 25 % jitter. The
            // fifth attempt can come no earlier than 0.75 × 1.5 s; with a fixed 100 ms delay it would come at 0.4 s.
            // Only the lower bound is asserted: a loaded machine makes attempts later, never earlier.
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start + .seconds(30)
            while session.statistics.connectAttempts < 5 {
                #expect(clock.now < deadline, "only \(session.statistics.connectAttempts) connect attempts in 30 s")
                if clock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(1000), "5 attempts after \(elapsed): the delays do not grow")
            #expect(session.state == .active || session.state == .connect)
            tasks.cancelAll()
        }
    }
}
