import Foundation
import LBKernel
import Testing
@testable import BGPPlugin

@Suite("BGP router ID")
struct RouterIDTests {
    @Test(arguments: [
        ("123456789", "38.57.244.203"),  // CRC-32 check value 0xCBF43926, little-endian as MetalLB writes it
        ("node1", "64.37.239.133"),
        ("kind-worker", "192.61.154.117"),
    ])
    func derivedFromTheNodeNameAsMetalLB(node: String, expected: String) {
        #expect(RouterID.derived(localAddress: IPAddress("fd00::2"), interfaceIPv4: nil, nodeName: node)
                == IPv4Address(expected))
    }

    @Test func precedence() {
        let peer = BGPPeer(name: "p", myASN: 1, peerASN: 2, peerAddress: IPAddress("10.0.0.1"))
        var withID = peer
        withID.routerID = IPv4Address(1, 1, 1, 1)
        let configured = IPv4Address(2, 2, 2, 2)
        let v4 = IPAddress("10.0.0.2"), v6 = IPAddress("fd00::2"), interface = IPv4Address(3, 3, 3, 3)
        #expect(RouterID.choose(peer: withID, configured: configured, localAddress: v4, interfaceIPv4: interface,
                                nodeName: "n") == IPv4Address(1, 1, 1, 1))
        #expect(RouterID.choose(peer: peer, configured: configured, localAddress: v4, interfaceIPv4: interface,
                                nodeName: "n") == configured)
        #expect(RouterID.choose(peer: peer, configured: nil, localAddress: v4, interfaceIPv4: interface,
                                nodeName: "n") == IPv4Address(10, 0, 0, 2))
        #expect(RouterID.choose(peer: peer, configured: nil, localAddress: v6, interfaceIPv4: interface,
                                nodeName: "n") == interface)
        #expect(RouterID.choose(peer: peer, configured: nil, localAddress: nil, interfaceIPv4: nil,
                                nodeName: "node1") == IPv4Address(64, 37, 239, 133))
    }
}

@Suite("BGP peer passwords")
struct PeerPasswordTests {
    /// A temporary directory with the given files, removed by the caller.
    private func directory(_ files: [String: [UInt8]]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lbd-bgp-password-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: url.appendingPathComponent(name)) }
        return url
    }

    private static let peer = BGPPeer(name: "tor-a", myASN: 64500, peerASN: 64501, peerAddress: IPAddress("10.0.0.1"))

    @Test(arguments: [
        ("plain", Array("s3cret".utf8), "s3cret"),
        ("newline", Array("s3cret\n".utf8), "s3cret"),
        ("crlf", Array("s3cret\r\n".utf8), "s3cret"),
        ("only one newline is dropped", Array("s3cret\n\n".utf8), "s3cret\n"),
        ("spaces are kept", Array(" s3 cret ".utf8), " s3 cret "),
        ("80 bytes", [UInt8](repeating: UInt8(ascii: "x"), count: 80), String(repeating: "x", count: 80)),
    ])
    func fromAFile(name: String, content: [UInt8], expected: String) throws {
        let dir = try directory(["pw": content])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try PeerPassword.resolve(for: Self.peer, file: dir.appendingPathComponent("pw").path) == expected, "\(name)")
    }

    @Test(arguments: [
        ("missing", nil, PeerPassword.Failure.Code.unreadable, "cannot read it"),
        ("empty", Array("\n".utf8), .empty, "the password is empty"),
        ("too long", [UInt8](repeating: UInt8(ascii: "x"), count: 81), .tooLong, "81 bytes"),
        ("not UTF-8", [0xFF, 0xFE], .unreadable, "not UTF-8"),
    ] as [(String, [UInt8]?, PeerPassword.Failure.Code, String)])
    func badFilesNameTheFileAndThePeer(name: String, content: [UInt8]?, code: PeerPassword.Failure.Code,
                                       message: String) throws {
        let dir = try directory(content.map { ["pw": $0] } ?? [:])
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pw").path
        #expect {
            _ = try PeerPassword.resolve(for: Self.peer, file: path)
        } throws: { error in
            guard let failure = error as? PeerPassword.Failure else { return false }
            return failure.code == code && failure.file == path && failure.description.contains(message)
                && failure.description.hasPrefix("peer \"tor-a\": password file \(path): ")
        }
    }

    @Test func inlinePasswordSecretsAndConflicts() throws {
        var peer = Self.peer
        #expect(try PeerPassword.resolve(for: peer, file: nil) == nil)
        peer.password = "inline"
        #expect(try PeerPassword.resolve(for: peer, file: nil) == "inline")
        #expect(throws: PeerPassword.Failure.self) { try PeerPassword.resolve(for: peer, file: "/nonexistent") }
        peer.password = String(repeating: "y", count: 81)
        #expect(throws: PeerPassword.Failure.self) { try PeerPassword.resolve(for: peer, file: nil) }
        peer.password = nil
        peer.passwordSecret = SecretReference(name: "bgp", namespace: "metallb-system")
        do {
            _ = try PeerPassword.resolve(for: peer, file: nil)
            Issue.record("a secret without a file was accepted")
        } catch {
            #expect(error.code == .secretNeedsFile)
            #expect(error.description.contains("metallb-system/bgp"))
            #expect(error.description.contains("passwordFiles: {tor-a: FILE}"))
        }
    }
}
