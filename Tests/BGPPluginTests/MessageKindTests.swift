import Testing
@testable import BGPPlugin

@Suite struct MessageKindTests {
    @Test func endOfRIBMarkersAreRecognised() {
        #expect(UpdateMessage.endOfRIB(.ipv4Unicast).endOfRIBFamily == .ipv4Unicast)
        #expect(UpdateMessage.endOfRIB(.ipv6Unicast).endOfRIBFamily == .ipv6Unicast)
        #expect(UpdateMessage(attributes: PathAttributes(origin: .igp)).endOfRIBFamily == nil)
    }
}
