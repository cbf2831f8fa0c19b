#if canImport(Glibc)
import Glibc
#endif
import LBKernel
import LBKernelTestKit
import Logging
import NIOCore
import Synchronization
import Testing
@testable import BGPPlugin

/// Waits for the first state change of `session` that matches `predicate`.
func awaitBFDChange(_ session: BFDSession, within limit: Duration, _ what: String,
                    where predicate: @escaping @Sendable (BFDStateChange) -> Bool) async throws -> BFDStateChange {
    try await withTimeout(limit, waitingFor: what) {
        for await change in session.stateChanges where predicate(change) { return change }
        throw TimeoutError(waitingFor: "\(what) (the session ended first)", limit: limit)
    }
}

/// Polls `condition` every 10 ms until it holds, failing after `limit`.
func awaitBFDCondition(within limit: Duration, _ what: String,
                       _ condition: @escaping @Sendable () -> Bool) async throws {
    try await withTimeout(limit, waitingFor: what) {
        while !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }
}

/// A port for one test's sessions on loopback (3784 is left alone: a BFD daemon on the machine may hold it).
func bfdTestPort() -> UInt16 { UInt16.random(in: 20000...29999) }

func bfdLoopbackSession(local: String, peer: String, port: UInt16, discriminator: UInt32? = nil,
                        parameters: BFDParameters = BFDParameters()) -> BFDSession {
    var configuration = BFDSession.Configuration(peer: IPAddress(peer)!, localAddress: IPAddress(local)!,
                                                 parameters: parameters)
    configuration.port = port
    return BFDSession(configuration: configuration, localDiscriminator: discriminator,
                      logger: Logger(label: "bfd-test"))
}

/// Sends one datagram from `source` to `destination`:`port` with the given TTL, from a socket of its own.
func sendBFDDatagram(_ bytes: [UInt8], from source: String, to destination: String, port: UInt16,
                     ttl: CInt) throws {
    let fd = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), CInt(IPPROTO_UDP))
    try #require(fd >= 0)
    defer { close(fd) }
    var ttl = ttl
    try #require(setsockopt(fd, CInt(IPPROTO_IP), IP_TTL, &ttl, socklen_t(MemoryLayout<CInt>.size)) == 0)
    let bound = BFDSockets.withSocketAddress(IPAddress(source)!, port: 0, interface: nil) { bind(fd, $0, $1) }
    try #require(bound == 0, "bind to \(source)")
    let sent = bytes.withUnsafeBytes { payload in
        BFDSockets.withSocketAddress(IPAddress(destination)!, port: port, interface: nil) {
            sendto(fd, payload.baseAddress, payload.count, 0, $0, $1)
        }
    }
    try #require(sent == bytes.count)
}

func bfdEncoded(_ packet: BFDControlPacket) -> [UInt8] {
    var buffer = ByteBuffer()
    packet.encode(into: &buffer)
    return Array(buffer.readableBytesView)
}

/// Real sessions on loopback (127.0.0.1 and 127.0.0.2), no root needed: the NIO shell, the sockets and real timers.
@Suite(.timeLimit(.minutes(1))) struct BFDSessionTests {
    @Test func twoSessionsComeUpAndAdminDownIsNotAPathFailure() async throws {
        let port = bfdTestPort()
        let a = bfdLoopbackSession(local: "127.0.0.1", peer: "127.0.0.2", port: port)
        let b = bfdLoopbackSession(local: "127.0.0.2", peer: "127.0.0.1", port: port)
        let runA = Task { try await a.run() }
        let runB = Task { try await b.run() }
        defer { runA.cancel(); runB.cancel() }

        _ = try await awaitBFDChange(a, within: .seconds(10), "A Up") { $0.state == .up }
        try await awaitBFDCondition(within: .seconds(10), "B Up") { b.state == .up }
        // Stopping B sends AdminDown: A goes Down, but that is no path failure (RFC 5882 §3.2).
        runB.cancel()
        let down = try await awaitBFDChange(a, within: .seconds(5), "A Down after B's AdminDown") { $0.state == .down }
        #expect(down.diagnostic == .neighborSignaledSessionDown)
        #expect(down.remoteState == .adminDown)
        #expect(!down.isPathFailure)
        try await withTimeout(.seconds(5), waitingFor: "B's run() to return") { try await runB.value }
        #expect(b.state == .adminDown)
        #expect(a.counters.totalDiscarded == 0)
        #expect(a.counters.packetsReceived > 0 && a.counters.packetsSent > 0)
    }

    @Test func shutdownSaysAdminDownAndWaitsForTheSocketsToClose() async throws {
        let port = bfdTestPort()
        let a = bfdLoopbackSession(local: "127.0.0.1", peer: "127.0.0.2", port: port)
        let b = bfdLoopbackSession(local: "127.0.0.2", peer: "127.0.0.1", port: port)
        let runA = Task { try await a.run() }
        let runB = Task { try await b.run() }
        defer { runA.cancel() }
        _ = try await awaitBFDChange(a, within: .seconds(10), "A Up") { $0.state == .up }
        try await withTimeout(.seconds(5), waitingFor: "B's shutdown()") { await b.shutdown() }
        #expect(b.state == .adminDown)
        try await withTimeout(.seconds(5), waitingFor: "B's run() to return") { try await runB.value }
        let down = try await awaitBFDChange(a, within: .seconds(5), "A Down") { $0.state == .down }
        #expect(down.remoteState == .adminDown && !down.isPathFailure)
    }

    @Test func shutdownBeforeRunMeansRunReturnsAtOnce() async throws {
        let a = bfdLoopbackSession(local: "127.0.0.1", peer: "127.0.0.2", port: bfdTestPort())
        await a.shutdown()
        try await withTimeout(.seconds(5), waitingFor: "run() to return") { try await a.run() }
        #expect(a.counters.packetsSent == 0)
    }

    @Test func silentPeerIsDetectedAfterTheDetectionTime() async throws {
        let port = bfdTestPort()
        let ours: UInt32 = 0x1111
        let a = bfdLoopbackSession(local: "127.0.0.1", peer: "127.0.0.2", port: port, discriminator: ours)
        let run = Task { try await a.run() }
        defer { run.cancel() }
        try await awaitBFDCondition(within: .seconds(5), "the session to start") { a.state == .down }

        // A hand-made peer: Down, then Up with a 100 ms Desired Min TX and Detect Mult 3, then silence.
        func peerPacket(_ state: BFDState, your: UInt32) -> [UInt8] {
            bfdEncoded(BFDControlPacket(state: state, detectMultiplier: 3, myDiscriminator: 0x2222,
                                        yourDiscriminator: your, desiredMinTxInterval: 100_000,
                                        requiredMinRxInterval: 300_000))
        }
        try sendBFDDatagram(peerPacket(.down, your: 0), from: "127.0.0.2", to: "127.0.0.1", port: port, ttl: 255)
        _ = try await awaitBFDChange(a, within: .seconds(5), "Init") { $0.state == .initializing }
        let clock = ContinuousClock()
        let lastPacket = clock.now
        try sendBFDDatagram(peerPacket(.up, your: ours), from: "127.0.0.2", to: "127.0.0.1", port: port, ttl: 255)
        let down = try await awaitBFDChange(a, within: .seconds(5), "Down") { $0.state == .down }
        let elapsed = clock.now - lastPacket
        // Detection Time: 3 × max(our Required Min RX 300 ms, the peer's Desired Min TX 100 ms) = 900 ms.
        #expect(down.diagnostic == .controlDetectionTimeExpired)
        #expect(down.isPathFailure)
        #expect(elapsed >= .milliseconds(890), "detected after \(elapsed)")
        #expect(elapsed < .milliseconds(1900), "detected after \(elapsed)")
    }

    @Test func packetsBelowTTL255AreCountedAndOtherSourcesNeverArrive() async throws {
        let port = bfdTestPort()
        let a = bfdLoopbackSession(local: "127.0.0.1", peer: "127.0.0.2", port: port)
        let run = Task { try await a.run() }
        defer { run.cancel() }
        try await awaitBFDCondition(within: .seconds(5), "the session to start") { a.state == .down }

        let down = bfdEncoded(BFDControlPacket(state: .down, detectMultiplier: 3, myDiscriminator: 7,
                                               desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 300_000))
        // From another address with TTL 255: the receive socket is connected to the peer, the kernel drops it.
        try sendBFDDatagram(down, from: "127.0.0.3", to: "127.0.0.1", port: port, ttl: 255)
        // From the peer with TTL 64: the GTSM filter cuts it to the marker, the session counts it (RFC 5881 §5).
        try sendBFDDatagram(down, from: "127.0.0.2", to: "127.0.0.1", port: port, ttl: 64)
        try await awaitBFDCondition(within: .seconds(5), "the TTL 64 packet to be counted") {
            a.counters.discarded[.hopLimitNot255] == 1
        }
        #expect(a.counters.packetsReceived == 0)
        #expect(a.state == .down, "neither packet reached the state machine")
        // A one-byte datagram with TTL 255 is dropped in the kernel too, so the marker stays unambiguous.
        try sendBFDDatagram([0x20], from: "127.0.0.2", to: "127.0.0.1", port: port, ttl: 255)
        // A malformed packet with TTL 255 reaches the codec and is counted with its reason.
        try sendBFDDatagram([0x40] + down.dropFirst(), from: "127.0.0.2", to: "127.0.0.1", port: port, ttl: 255)
        try await awaitBFDCondition(within: .seconds(5), "the version 2 packet to be counted") {
            a.counters.discarded[.unsupportedVersion] == 1
        }
        #expect(a.counters.discarded == [.hopLimitNot255: 1, .unsupportedVersion: 1])
    }

    @Test func socketsUseASourcePortFromTheRFCRange() throws {
        let sockets = try BFDSockets.open(BFDSockets.Endpoint(
            peer: IPAddress("127.0.0.2")!, localAddress: IPAddress("127.0.0.1")!, port: bfdTestPort()))
        defer {
            BFDSockets.closeSocket(sockets.receive)
            BFDSockets.closeSocket(sockets.transmit)
        }
        #expect(BFDSockets.sourcePorts.contains(sockets.sourcePort))
    }

    @Test func mismatchedFamiliesAreRefused() {
        #expect(throws: BFDSockets.Failure.self) {
            try BFDSockets.open(BFDSockets.Endpoint(peer: IPAddress("127.0.0.2")!, localAddress: IPAddress("::1")!))
        }
    }
}
