import LBKernel
import Testing
@testable import BGPPlugin

/// The lookups the announcer uses before a session exists: the source address towards a peer (router ID) and the
/// addresses of the interface a session runs over (dual-stack next hops).
@Suite struct LocalAddressTests {
    @Test func theSourceTowardsLoopbackIsLoopback() {
        #expect(LocalAddressProbe.source(towards: IPAddress("127.0.0.1")!) == IPAddress("127.0.0.1"))
        #expect(LocalAddressProbe.source(towards: IPAddress("::1")!) == IPAddress("::1"))
    }

    @Test func theInterfaceHoldingLoopbackIsLo() throws {
        let lo = try #require(InterfaceAddresses.holding(IPAddress("127.0.0.1")!))
        #expect(lo.name == "lo")
        #expect(lo.first(.ipv4) == IPAddress("127.0.0.1"))
        #expect(lo.first(.ipv6) == IPAddress("::1"))
        #expect(lo.netmask == IPAddress("255.0.0.0"))
        #expect(lo.ipv6LinkLocal.isEmpty)
        // ::1 is not on any subnet of a peer elsewhere, and lo has no link-local address.
        #expect(PeerSession.LinkLocal.onLink(local: IPAddress("::1")!, peer: IPAddress("fe80::1")!) == nil)
    }

    @Test func anAddressNoInterfaceHoldsHasNone() {
        #expect(InterfaceAddresses.holding(IPAddress("203.0.113.77")!) == nil)
    }
}
