import LBKernel
import NIOCore
import Testing
@testable import BGPPlugin

/// The full table prepared before a session is Established: the routes the peer will get, encoded as UPDATEs that
/// decode back to exactly those routes, for the session lbd expects.
@Suite struct PreparedTableTests {
    static func settings(_ peer: BGPPeer) -> BGPAnnouncer.PeerRunner.Settings {
        BGPAnnouncer.PeerRunner.Settings(peer: peer, password: nil, routerID: IPv4Address(1, 1, 1, 1), bfd: nil,
                                         plugin: BGPAnnouncer.Configuration())
    }

    static func desired(count: Int) -> DesiredSet {
        var set = DesiredSet(node: "n1")
        for i in 0..<count {
            let id = ServiceID(namespace: "default", name: "s\(i)")
            let address = IPAddress.v4(IPv4Address(UInt32(0x0A80_0000) + UInt32(i)))
            set.services[id] = ServiceAnnouncement(
                service: id, addresses: [address], pool: "default",
                bgp: [BGPRoute(prefix: IPPrefix(address: address, length: 32)!, advertisement: "ad",
                               communities: [.standard(64500, 1)])])
        }
        return set
    }

    @Test func theTableForALoopbackPeerDecodesToEveryRouteWithOurNextHop() throws {
        let peer = BGPPeer(name: "r", myASN: 64500, peerASN: 64501, peerAddress: IPAddress("127.0.0.1"))
        let table = try #require(BGPAnnouncer.PreparedTable(version: 1, desired: Self.desired(count: 2000),
                                                            settings: Self.settings(peer)))
        #expect(table.view.ipv4NextHop == IPv4Address(127, 0, 0, 1))
        #expect(table.ribOut.count == 2000)
        var bytes = table.bytes
        var prefixes: Set<IPPrefix> = []
        var messages = 0
        while let message = try BGPMessage.decode(from: &bytes, options: BGPAnnouncer.PreparedTable.options) {
            guard case .update(let update) = message else { Issue.record("not an UPDATE: \(message)"); return }
            #expect(update.attributes.nextHop == IPv4Address(127, 0, 0, 1))
            #expect(update.attributes.asPath == [ASPathSegment(kind: .sequence, asns: [64500])])
            #expect(update.attributes.communities == [64500 << 16 | 1])
            prefixes.formUnion(update.nlri)
            messages += 1
        }
        #expect(bytes.readableBytes == 0)
        #expect(messages == table.messages)
        #expect(prefixes.count == 2000)
        // Packed: about 800 /32s fit a 4096-octet UPDATE.
        #expect(messages <= 3)
    }

    @Test func sessionsThatCannotBePredictedGetNoPreparedTable() {
        var dual = BGPPeer(name: "r", myASN: 64500, peerASN: 64501, peerAddress: IPAddress("127.0.0.1"))
        dual.dualStackAddressFamily = true
        #expect(BGPAnnouncer.PreparedTable(version: 1, desired: Self.desired(count: 1), settings: Self.settings(dual)) == nil)
        let dynamic = BGPPeer(name: "r", myASN: 64500, peerASN: nil, peerAddress: IPAddress("127.0.0.1"),
                              dynamicASN: .external)
        #expect(BGPAnnouncer.PreparedTable(version: 1, desired: Self.desired(count: 1), settings: Self.settings(dynamic)) == nil)
    }
}
