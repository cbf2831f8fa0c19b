#if canImport(Glibc)
import Glibc
#endif
import LBKernel
import LBKernelTestKit
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
}
