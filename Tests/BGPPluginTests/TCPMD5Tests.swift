#if canImport(Glibc)
import Glibc
#endif
import LBKernel
import LBKernelTestKit
import NIOCore
import NIOPosix
import Testing
@testable import BGPPlugin

/// TCP-MD5 (RFC 2385): the option's layout, and sessions over loopback with a matching and a wrong key (the kernel
/// drops badly signed SYNs, so the wrong key shows up as connect timeouts).
@Suite struct TCPMD5Tests {
    @Test(arguments: [
        ("10.1.2.3", false, UInt16(AF_INET), 4, [10, 1, 2, 3] as [UInt8]),
        ("10.1.2.3", true, UInt16(AF_INET6), 8, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3]),
        ("fd00::1", true, UInt16(AF_INET6), 8, [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ])
    func theOptionCarriesTheAddressAsTheSocketFamilyNeedsIt(peer: String, ipv6Socket: Bool, family: UInt16,
                                                           offset: Int, address: [UInt8]) throws {
        var option = try TCPMD5.signatureOption(peer: IPAddress(peer)!, key: Array("s3cret".utf8),
                                                socketIsIPv6: ipv6Socket)
        let bytes = withUnsafeBytes(of: &option.tcpm_addr) { Array($0) }
        #expect(bytes.withUnsafeBytes { $0.load(as: UInt16.self) } == family)
        #expect(Array(bytes[offset..<offset + address.count]) == address)
        #expect(option.tcpm_keylen == 6)
        #expect(withUnsafeBytes(of: &option.tcpm_key) { Array($0.prefix(6)) } == Array("s3cret".utf8))
    }

    @Test func aKeyLongerThanTheKernelAcceptsIsRefusedWithThePeerNamed() {
        #expect(throws: TCPMD5.Failure.self) {
            _ = try TCPMD5.signatureOption(peer: IPAddress("10.0.0.1")!, key: Array(repeating: 0x61, count: 81),
                                           socketIsIPv6: false)
        }
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func matchingKeysBringTheSessionUp(address: String) async throws {
        try await LoopbackPair.run(address: IPAddress(address)!, listenerPassword: "bgp-s3cret",
                                   activePassword: "bgp-s3cret") { pair in
            _ = try await pair.waitEstablished()
        }
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func aWrongKeyNeverComesUpAndTheLogSuggestsAMismatch(address: String) async throws {
        try await LoopbackPair.run(address: IPAddress(address)!, listenerPassword: "bgp-s3cret",
                                   activePassword: "wrong", activeConnectTimeout: .milliseconds(500)) { pair in
            try await Task.sleep(for: .seconds(3))
            #expect(pair.activeEvents.established.isEmpty && pair.passiveEvents.established.isEmpty)
            #expect(pair.active.statistics.connectTimeouts >= 2)
            #expect(pair.activeLog.messages.contains { $0.contains("possible TCP-MD5 mismatch") })
        }
    }

    /// Keys set or removed by `setSessions` after the listener is bound take effect: the kernel drops a signed SYN
    /// when the listener has no key for its source, and an unsigned one when it has.
    @Test func theListenerFollowsKeyChanges() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let address = IPAddress("127.0.0.1")!
        let listener = SessionListener(configuration: .init(addresses: [address], port: 0), group: group,
                                       logger: CapturedLog().logger)
        func session(password: String?) -> PeerSession {
            let peer = LoopbackPair.peer(name: "keyed", myASN: 64513, peerASN: 64512, address: address,
                                         passive: true, password: password)
            return PeerSession(configuration: LoopbackPair.configuration(peer, routerID: LoopbackPair.passiveID),
                               group: group, logger: CapturedLog().logger)
        }
        func connects(port: Int, key: String?) async -> Bool {
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(700))
                .channelInitializer { channel in
                    key.map { TCPMD5.setKey($0, peer: address, on: channel, socketIsIPv6: false) }
                        ?? channel.eventLoop.makeSucceededVoidFuture()
                }
            guard let channel = try? await bootstrap.connect(host: "127.0.0.1", port: port).get() else { return false }
            try? await channel.close()
            return true
        }
        await listener.setSessions([session(password: nil)])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await listener.run() }
            let port = try await withTimeout(.seconds(5), waitingFor: "the listener to bind") {
                try await listener.boundAddresses().first!.port!
            }
            #expect(await connects(port: port, key: nil))
            #expect(await !connects(port: port, key: "k3y"))
            await listener.setSessions([session(password: "k3y")])
            #expect(await connects(port: port, key: "k3y"))
            #expect(await !connects(port: port, key: nil))
            await listener.setSessions([session(password: nil)])
            #expect(await connects(port: port, key: nil))
            tasks.cancelAll()
        }
    }
}
