import LBKernel
import Testing
@testable import BGPPlugin

/// Connection collision (RFC 4271 §6.8, RFC 6286 §2.3): which of two connections to one peer is closed.
@Suite struct SessionStateMachineCollisionTests {
    typealias F = SessionFixture
    typealias State = SessionStateMachine.State

    static let low = IPv4Address(10, 0, 0, 1)
    static let high = IPv4Address(10, 0, 0, 2)

    static let resolveCases: [(IPv4Address, IPv4Address, UInt32, UInt32, State, State,
                                SessionCollisionResolver.Decision)] = [
        // The connection initiated by the higher identifier survives, both orderings.
        (low, high, UInt32(65000), UInt32(65001), State.openConfirm, State.openConfirm,
         SessionCollisionResolver.Decision.close(.outgoing)),
        (high, low, 65000, 65001, .openConfirm, .openConfirm, .close(.incoming)),
        (low, high, 65000, 65001, .openSent, .openConfirm, .close(.outgoing)),
        (high, low, 65000, 65001, .openSent, .openConfirm, .close(.incoming)),
        (low, high, 65000, 65001, .openConfirm, .openSent, .close(.outgoing)),
        (high, low, 65000, 65001, .openConfirm, .openSent, .close(.incoming)),
        // Equal identifiers (eBGP): the connection initiated by the larger AS survives (RFC 6286 §2.3).
        (low, low, 65000, 65001, .openConfirm, .openConfirm, .close(.outgoing)),
        (low, low, 65001, 65000, .openConfirm, .openConfirm, .close(.incoming)),
        // An Established connection always wins, whatever the identifiers.
        (low, high, 65000, 65001, .established, .openConfirm, .close(.incoming)),
        (high, low, 65000, 65001, .openSent, .established, .close(.outgoing)),
        // No collision while one side is not past TCP setup.
        (low, high, 65000, 65001, .connect, .openConfirm, .keepBoth),
        (low, high, 65000, 65001, .active, .openSent, .keepBoth),
        (low, high, 65000, 65001, .idle, .established, .keepBoth),
        (low, high, 65000, 65001, .openConfirm, .idle, .keepBoth),
    ]

    /// (our id, peer id, our AS, peer AS, outgoing state, incoming state) -> decision.
    @Test(arguments: resolveCases)
    func resolve(localID: IPv4Address, peerID: IPv4Address, localAS: UInt32, peerAS: UInt32,
                 outgoing: State, incoming: State, expected: SessionCollisionResolver.Decision) {
        let resolver = SessionCollisionResolver(localIdentifier: localID, localAS: localAS)
        #expect(resolver.resolve(outgoing: outgoing, incoming: incoming, peerIdentifier: peerID, peerAS: peerAS)
            == expected)
    }

    @Test func unknownPeerIdentifierWaits() {
        let resolver = SessionCollisionResolver(localIdentifier: Self.low, localAS: 65000)
        #expect(resolver.resolve(outgoing: .openSent, incoming: .openSent, peerIdentifier: nil, peerAS: nil)
            == .keepBoth)
    }

    /// The shell's view: our connection in OpenConfirm, the peer connects, its OPEN arrives on the new connection;
    /// the resolver picks the loser, which sends Cease subcode 7 and stays Idle, and the winner goes on.
    @Test(arguments: [(IPv4Address(10, 0, 0, 1), true), (IPv4Address(10, 0, 0, 3), false)])
    func collisionBetweenTwoMachines(localID: IPv4Address, outgoingLoses: Bool) {
        var configuration = F.configuration()
        configuration.localIdentifier = localID
        var outgoing = F.machine(in: .openConfirm, configuration: configuration)
        var incoming = SessionStateMachine(configuration: configuration)
        _ = incoming.handle(.automaticStartPassive)
        _ = incoming.handle(.tcpConnectionConfirmed)
        #expect(incoming.state == .openSent)
        let resolver = SessionCollisionResolver(localIdentifier: localID, localAS: F.localAS)
        _ = incoming.handle(.messageReceived(.open(F.peerOpen())))
        let decision = resolver.resolve(outgoing: outgoing, incoming: incoming)
        #expect(decision == .close(outgoingLoses ? .outgoing : .incoming))

        let collisionCease = NotificationMessage(code: .cease, subcode: 7)
        let expected: [SessionStateMachine.Action] = [
            .send(.notification(collisionCease)), .closeConnection, .stopTimer(.hold), .stopTimer(.keepalive),
            .sessionDown(.collisionLost, wasEstablished: false),
        ]
        if outgoingLoses {
            #expect(outgoing.handle(.openCollisionDump) == expected)
            #expect(outgoing.state == .idle)
            _ = incoming.handle(.messageReceived(.keepalive))
            #expect(incoming.state == .established)
        } else {
            #expect(incoming.handle(.openCollisionDump) == expected)
            #expect(incoming.state == .idle)
            _ = outgoing.handle(.messageReceived(.keepalive))
            #expect(outgoing.state == .established)
        }
    }
}
