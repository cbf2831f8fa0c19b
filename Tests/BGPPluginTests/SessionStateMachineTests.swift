import LBKernel
import Testing
@testable import BGPPlugin

/// Builders shared by the SessionStateMachine*Tests files: a local speaker 10.0.0.1 in AS 65000 talking to a peer
/// 10.0.0.2 in AS 65001, jitter off so every delay is exact.
enum SessionFixture {
    static let localID = IPv4Address(10, 0, 0, 1)
    static let peerID = IPv4Address(10, 0, 0, 2)
    static let localAS: UInt32 = 65000
    static let peerAS: UInt32 = 65001

    static func configuration(peerAS: SessionConfiguration.PeerAS = .exactly(SessionFixture.peerAS),
                              holdTime: UInt16 = 90, keepaliveTime: UInt16? = nil, passive: Bool = false,
                              families: [AddressFamily] = [.ipv4Unicast],
                              gracefulRestart: SessionConfiguration.GracefulRestart? = nil,
                              extendedMessages: Bool = false) -> SessionConfiguration {
        SessionConfiguration(localAS: localAS, peerAS: peerAS, localIdentifier: localID, holdTime: holdTime,
                             keepaliveTime: keepaliveTime, passive: passive, families: families,
                             gracefulRestart: gracefulRestart, extendedMessages: extendedMessages,
                             connectRetry: ConnectRetryBackoff.Configuration(jitter: 1...1))
    }

    static func peerOpen(as asn: UInt32 = SessionFixture.peerAS, holdTime: UInt16 = 90,
                         identifier: IPv4Address = SessionFixture.peerID,
                         capabilities: [Capability]? = nil) -> OpenMessage {
        OpenMessage(myAS: asn, holdTime: holdTime, bgpIdentifier: identifier,
                    capabilities: capabilities ?? [.multiprotocol(.ipv4Unicast), .routeRefresh, .fourOctetAS(asn)])
    }

    /// The OPEN the default configuration sends.
    static let localOpen = OpenMessage(myAS: localAS, holdTime: 90, bgpIdentifier: localID,
                                       capabilities: [.multiprotocol(.ipv4Unicast), .routeRefresh,
                                                      .fourOctetAS(localAS)])

    /// A machine driven from Idle into `state` along the active happy path (Active: after a failed connection).
    static func machine(in state: SessionStateMachine.State,
                        configuration: SessionConfiguration = SessionFixture.configuration(),
                        peerOpen: OpenMessage = SessionFixture.peerOpen()) -> SessionStateMachine {
        var fsm = SessionStateMachine(configuration: configuration)
        let path: [SessionStateMachine.Event] = switch state {
        case .idle: []
        case .connect: [.manualStart]
        case .active: configuration.passive ? [.manualStart] : [.manualStart, .tcpConnectionFails]
        case .openSent: [.manualStart, .tcpConnectionAcknowledged]
        case .openConfirm: [.manualStart, .tcpConnectionAcknowledged, .messageReceived(.open(peerOpen))]
        case .established: [.manualStart, .tcpConnectionAcknowledged, .messageReceived(.open(peerOpen)),
                            .messageReceived(.keepalive)]
        }
        for event in path { _ = fsm.handle(event) }
        precondition(fsm.state == state, "fixture reached \(fsm.state), not \(state)")
        return fsm
    }

    static let notification4 = NotificationMessage(code: .holdTimerExpired)
}

@Suite struct SessionStateMachineTests {
    typealias F = SessionFixture

    @Test func activeHappyPath() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        #expect(fsm.state == .idle)
        #expect(fsm.handle(.manualStart) == [.startTimer(.connectRetry, .seconds(1)), .connect])
        #expect(fsm.state == .connect)
        #expect(fsm.handle(.tcpConnectionAcknowledged)
            == [.stopTimer(.connectRetry), .send(.open(F.localOpen)), .startTimer(.hold, .seconds(240))])
        #expect(fsm.state == .openSent)
        #expect(fsm.handle(.messageReceived(.open(F.peerOpen())))
            == [.send(.keepalive), .startTimer(.hold, .seconds(90)), .startTimer(.keepalive, .seconds(30))])
        #expect(fsm.state == .openConfirm)
        let negotiated = NegotiatedSession(
            peerAS: F.peerAS, localAS: F.localAS, peerIdentifier: F.peerID, isInternal: false,
            families: [.ipv4Unicast], fourOctetAS: true, extendedMessages: false, peerRouteRefresh: true,
            peerGracefulRestart: nil, localRestarting: false, holdTime: 90, keepaliveTime: 30,
            endOfRIBFamilies: [.ipv4Unicast], peerOpen: F.peerOpen())
        #expect(fsm.handle(.messageReceived(.keepalive))
            == [.startTimer(.hold, .seconds(90)), .startTimer(.backoffReset, .seconds(60)), .established(negotiated)])
        #expect(fsm.state == .established)
        #expect(fsm.negotiated == negotiated)
        #expect(fsm.runningTimers == [.hold, .keepalive, .backoffReset])

        let update = UpdateMessage(nlri: [IPPrefix("192.0.2.0/24")!])
        #expect(fsm.handle(.messageReceived(.update(update)))
            == [.startTimer(.hold, .seconds(90)), .deliverUpdate(update)])
        #expect(fsm.handle(.messageReceived(.keepalive)) == [.startTimer(.hold, .seconds(90))])
        #expect(fsm.handle(.updateSent) == [.startTimer(.keepalive, .seconds(30))])
        #expect(fsm.handle(.timerExpired(.keepalive)) == [.send(.keepalive), .startTimer(.keepalive, .seconds(30))])
        #expect(fsm.state == .established)
    }

    @Test func passiveHappyPathNeverConnects() {
        var fsm = SessionStateMachine(configuration: F.configuration(passive: true))
        #expect(fsm.handle(.manualStart) == [])
        #expect(fsm.state == .active)
        #expect(fsm.handle(.timerExpired(.connectRetry)) == [], "no ConnectRetryTimer runs for a passive peer")
        #expect(fsm.handle(.tcpConnectionConfirmed) == [.send(.open(F.localOpen)), .startTimer(.hold, .seconds(240))])
        #expect(fsm.state == .openSent)
        _ = fsm.handle(.messageReceived(.open(F.peerOpen())))
        let actions = fsm.handle(.messageReceived(.keepalive))
        #expect(fsm.state == .established)
        #expect(actions.contains { if case .established = $0 { true } else { false } })

        // After a failure a passive peer waits again, still without connecting.
        #expect(fsm.handle(.tcpConnectionFails) == [.closeConnection, .stopTimer(.hold), .stopTimer(.keepalive),
                                                     .stopTimer(.backoffReset),
                                                     .sessionDown(.connectionLost, wasEstablished: true)])
        #expect(fsm.state == .active)
        #expect(fsm.runningTimers.isEmpty)
    }

    @Test func passiveStartEventWaitsForConnectRetryBeforeConnecting() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        #expect(fsm.handle(.automaticStartPassive) == [.startTimer(.connectRetry, .seconds(1))])
        #expect(fsm.state == .active)
        #expect(fsm.handle(.timerExpired(.connectRetry)) == [.startTimer(.connectRetry, .seconds(2)), .connect])
        #expect(fsm.state == .connect)
    }

    @Test func incomingConnectionAcceptedInActiveAndConnect() {
        var active = F.machine(in: .active)
        #expect(active.handle(.tcpConnectionConfirmed)
            == [.stopTimer(.connectRetry), .send(.open(F.localOpen)), .startTimer(.hold, .seconds(240))])
        #expect(active.state == .openSent)
        var connect = F.machine(in: .connect)
        _ = connect.handle(.tcpConnectionConfirmed)
        #expect(connect.state == .openSent)
    }

    static let timerExpiryCases: [(SessionStateMachine.State, SessionStateMachine.Timer, [SessionStateMachine.Action],
                                    SessionStateMachine.State)] = [
        (SessionStateMachine.State.connect, SessionStateMachine.Timer.connectRetry,
         [SessionStateMachine.Action.closeConnection, .startTimer(.connectRetry, .seconds(2)), .connect],
         SessionStateMachine.State.connect),
        (.active, .connectRetry, [.startTimer(.connectRetry, .seconds(2)), .connect], .connect),
        (.openSent, .hold,
         [.send(.notification(SessionFixture.notification4)), .closeConnection,
          .sessionDown(.holdTimerExpired, wasEstablished: false), .startTimer(.connectRetry, .seconds(1))],
         .active),
        (.openConfirm, .hold,
         [.send(.notification(SessionFixture.notification4)), .closeConnection, .stopTimer(.keepalive),
          .sessionDown(.holdTimerExpired, wasEstablished: false), .startTimer(.connectRetry, .seconds(1))],
         .active),
        (.openConfirm, .keepalive, [.send(.keepalive), .startTimer(.keepalive, .seconds(30))], .openConfirm),
        (.established, .hold,
         [.send(.notification(SessionFixture.notification4)), .closeConnection, .stopTimer(.keepalive),
          .stopTimer(.backoffReset), .sessionDown(.holdTimerExpired, wasEstablished: true),
          .startTimer(.connectRetry, .seconds(1))],
         .active),
        (.established, .keepalive, [.send(.keepalive), .startTimer(.keepalive, .seconds(30))], .established),
        (.established, .backoffReset, [], .established),
    ]

    /// Each timer expiring in each state where it can run: the actions and the state after.
    @Test(arguments: timerExpiryCases)
    func timerExpiry(state: SessionStateMachine.State, timer: SessionStateMachine.Timer,
                     expected: [SessionStateMachine.Action], after: SessionStateMachine.State) {
        var fsm = F.machine(in: state)
        #expect(fsm.runningTimers.contains(timer))
        #expect(fsm.handle(.timerExpired(timer)) == expected)
        #expect(fsm.state == after)
    }

    static let staleTimerCases: [(SessionStateMachine.State, SessionStateMachine.Timer)] = [
        (SessionStateMachine.State.idle, SessionStateMachine.Timer.connectRetry),
        (.idle, .hold), (.connect, .hold), (.connect, .keepalive), (.active, .hold),
        (.openSent, .connectRetry), (.openSent, .keepalive), (.openSent, .backoffReset),
        (.openConfirm, .connectRetry), (.openConfirm, .backoffReset), (.established, .connectRetry),
    ]

    /// A timer the machine does not consider running (stopped, or never started in this state) is ignored: the
    /// shell's cancel may lose the race with the timer firing.
    @Test(arguments: staleTimerCases)
    func staleTimerExpiryIsIgnored(state: SessionStateMachine.State, timer: SessionStateMachine.Timer) {
        var fsm = F.machine(in: state)
        #expect(fsm.handle(.timerExpired(timer)) == [])
        #expect(fsm.state == state)
    }

    @Test func expiredTimerFiresOnlyOnce() {
        var fsm = F.machine(in: .openConfirm)
        #expect(fsm.handle(.timerExpired(.hold)).isEmpty == false)
        #expect(fsm.handle(.timerExpired(.hold)) == [])
        #expect(fsm.handle(.timerExpired(.keepalive)) == [], "stopped when the session went down")
    }

    static let shutdown = SessionStopReason.administrativeShutdown(message: "maintenance")
    static let shutdownCease = NotificationMessage(code: .cease, subcode: 2, data: [11] + Array("maintenance".utf8))

    static let manualStopCases: [(SessionStateMachine.State, [SessionStateMachine.Action])] = [
        (SessionStateMachine.State.idle, [SessionStateMachine.Action]()),
        (.connect, [.closeConnection, .stopTimer(.connectRetry)]),
        (.active, [.stopTimer(.connectRetry)]),
        (.openSent, [.send(.notification(SessionStateMachineTests.shutdownCease)), .closeConnection,
                     .stopTimer(.hold),
                     .sessionDown(.stopped(SessionStateMachineTests.shutdown), wasEstablished: false)]),
        (.openConfirm, [.send(.notification(SessionStateMachineTests.shutdownCease)), .closeConnection,
                        .stopTimer(.hold), .stopTimer(.keepalive),
                        .sessionDown(.stopped(SessionStateMachineTests.shutdown), wasEstablished: false)]),
        (.established, [.send(.notification(SessionStateMachineTests.shutdownCease)), .closeConnection,
                        .stopTimer(.hold), .stopTimer(.keepalive), .stopTimer(.backoffReset),
                        .sessionDown(.stopped(SessionStateMachineTests.shutdown), wasEstablished: true)]),
    ]

    /// ManualStop in each state: a Cease once a BGP session exists, then Idle for good.
    @Test(arguments: manualStopCases)
    func manualStop(state: SessionStateMachine.State, expected: [SessionStateMachine.Action]) {
        var fsm = F.machine(in: state)
        #expect(fsm.handle(.manualStop(Self.shutdown)) == expected)
        #expect(fsm.state == .idle)
        #expect(fsm.runningTimers.isEmpty)
        #expect(fsm.negotiated == nil)
        // Nothing restarts it but a start event.
        #expect(fsm.handle(.timerExpired(.connectRetry)) == [])
        #expect(fsm.handle(.tcpConnectionConfirmed) == [])
        #expect(fsm.state == .idle)
        #expect(fsm.handle(.manualStart) == [.startTimer(.connectRetry, .seconds(1)), .connect])
    }

    @Test func passiveManualStopInActive() {
        var fsm = F.machine(in: .active, configuration: F.configuration(passive: true))
        #expect(fsm.handle(.manualStop(.peerDeconfigured)) == [])
        #expect(fsm.state == .idle)
    }

    /// AutomaticStop (BFD down here) tears the session down like ManualStop, then starts again after the backoff.
    @Test func automaticStopRestarts() {
        var fsm = F.machine(in: .established)
        let bfdCease = NotificationMessage(code: .cease, subcode: 10)
        #expect(fsm.handle(.automaticStop(.bfdDown))
            == [.send(.notification(bfdCease)), .closeConnection, .stopTimer(.hold), .stopTimer(.keepalive),
                .stopTimer(.backoffReset), .sessionDown(.stopped(.bfdDown), wasEstablished: true),
                .startTimer(.connectRetry, .seconds(1))])
        #expect(fsm.state == .active)
        #expect(fsm.handle(.timerExpired(.connectRetry)) == [.startTimer(.connectRetry, .seconds(2)), .connect])
    }

    /// With graceful restart negotiated, stopping for a restart closes without a NOTIFICATION, so that the peer
    /// keeps our routes (RFC 4724 §4.2); without it, a Cease goes out as for a shutdown.
    @Test(arguments: [true, false])
    func gracefulRestartStop(peerHasGracefulRestart: Bool) {
        let gr = GracefulRestartCapability(restarting: false, restartTime: 120,
                                           families: [.init(family: .ipv4Unicast, forwardingPreserved: false)])
        var capabilities: [Capability] = [.multiprotocol(.ipv4Unicast), .fourOctetAS(F.peerAS)]
        if peerHasGracefulRestart { capabilities.append(.gracefulRestart(gr)) }
        var fsm = F.machine(in: .established,
                            configuration: F.configuration(gracefulRestart: .init()),
                            peerOpen: F.peerOpen(capabilities: capabilities))
        let actions = fsm.handle(.manualStop(.gracefulRestart))
        let sent = actions.filter { if case .send = $0 { true } else { false } }
        #expect(sent == (peerHasGracefulRestart ? [] : [.send(.notification(.cease(.administrativeShutdown)))]))
        #expect(actions.contains(.closeConnection))
        #expect(fsm.state == .idle)
    }

    static let stopReasonCases: [(SessionStopReason, NotificationMessage)] = [
        (SessionStopReason.administrativeShutdown(message: nil), NotificationMessage(code: .cease, subcode: 2)),
        (.administrativeShutdown(message: ""), NotificationMessage(code: .cease, subcode: 2)),
        (.administrativeReset(message: "new config"),
         NotificationMessage(code: .cease, subcode: 4, data: [10] + Array("new config".utf8))),
        (.peerDeconfigured, NotificationMessage(code: .cease, subcode: 3)),
        (.configurationChanged, NotificationMessage(code: .cease, subcode: 6)),
        (.bfdDown, NotificationMessage(code: .cease, subcode: 10)),
    ]

    @Test(arguments: stopReasonCases)
    func stopReasonNotification(reason: SessionStopReason, expected: NotificationMessage) {
        #expect(reason.notification(peerSupportsGracefulRestart: false) == expected)
    }

    @Test func shutdownCommunicationIsCutTo255OctetsAtACharacterBoundary() {
        let message = String(repeating: "é", count: 200)  // 400 octets of UTF-8
        let cease = SessionStopReason.administrativeShutdown(message: message)
            .notification(peerSupportsGracefulRestart: false)!
        #expect(cease.data.first == 254)
        #expect(cease.data.count == 255)
        #expect(cease.shutdownCommunication == String(repeating: "é", count: 127))
    }

    @Test func connectionFailures() {
        var connect = F.machine(in: .connect)
        #expect(connect.handle(.tcpConnectionFails) == [], "waits in Active for the running ConnectRetryTimer")
        #expect(connect.state == .active)
        #expect(connect.runningTimers == [.connectRetry])

        var active = F.machine(in: .active)
        #expect(active.handle(.tcpConnectionFails) == [])
        #expect(active.state == .active)

        var openSent = F.machine(in: .openSent)
        #expect(openSent.handle(.tcpConnectionFails)
            == [.closeConnection, .stopTimer(.hold), .sessionDown(.connectionLost, wasEstablished: false),
                .startTimer(.connectRetry, .seconds(1))])
        #expect(openSent.state == .active)
    }

    /// A NOTIFICATION from the peer ends the session without one of ours.
    @Test(arguments: [SessionStateMachine.State.openSent, .openConfirm, .established])
    func notificationReceived(state: SessionStateMachine.State) {
        var fsm = F.machine(in: state)
        let cease = NotificationMessage.cease(.administrativeReset)
        let actions = fsm.handle(.messageReceived(.notification(cease)))
        #expect(actions.first == .closeConnection)
        #expect(actions.contains(.sessionDown(.notificationReceived(cease), wasEstablished: state == .established)))
        #expect(actions.last == .startTimer(.connectRetry, .seconds(1)))
        #expect(fsm.state == .active)
    }

    static let unexpectedMessageCases: [(SessionStateMachine.State, BGPMessage, NotificationMessage)] = [
        (SessionStateMachine.State.openSent, BGPMessage.keepalive, NotificationMessage(code: .finiteStateMachine,
                                                                                       subcode: 1, data: [4])),
        (.openSent, .update(UpdateMessage()), NotificationMessage(code: .finiteStateMachine, subcode: 1, data: [2])),
        (.openSent, .routeRefresh(RouteRefreshMessage(family: .ipv4Unicast)),
         NotificationMessage(code: .finiteStateMachine, subcode: 1, data: [5])),
        (.openConfirm, .open(SessionFixture.peerOpen()),
         NotificationMessage(code: .finiteStateMachine, subcode: 2, data: [1])),
        (.openConfirm, .update(UpdateMessage()),
         NotificationMessage(code: .finiteStateMachine, subcode: 2, data: [2])),
        (.established, .open(SessionFixture.peerOpen()),
         NotificationMessage(code: .finiteStateMachine, subcode: 3, data: [1])),
    ]

    /// A message the state does not allow: NOTIFICATION code 5 with the RFC 6608 subcode of the state and the
    /// message type as data.
    @Test(arguments: unexpectedMessageCases)
    func unexpectedMessage(state: SessionStateMachine.State, message: BGPMessage, expected: NotificationMessage) {
        var fsm = F.machine(in: state)
        let actions = fsm.handle(.messageReceived(message))
        #expect(actions.first == .send(.notification(expected)))
        #expect(actions.contains(.sessionDown(.unexpectedMessage(message.kind, in: state),
                                              wasEstablished: state == .established)))
        #expect(fsm.state == .active)
    }

    /// Messages that arrive with no session (a confused shell) change nothing.
    @Test(arguments: [SessionStateMachine.State.idle, .connect, .active])
    func messagesBeforeTCPAreIgnored(state: SessionStateMachine.State) {
        var fsm = F.machine(in: state)
        #expect(fsm.handle(.messageReceived(.keepalive)) == [])
        #expect(fsm.handle(.messageReceived(.open(F.peerOpen()))) == [])
        #expect(fsm.handle(.updateSent) == [])
        #expect(fsm.state == state)
    }

    @Test(arguments: [SessionStateMachine.State.openSent, .openConfirm, .established])
    func decodeErrorSendsItsNotification(state: SessionStateMachine.State) {
        var fsm = F.machine(in: state)
        let error = BGPDecodeError.notification(.messageHeader, 2, data: [0, 18], "header: length 18")
        let actions = fsm.handle(.decodeFailed(error))
        #expect(actions.first == .send(.notification(NotificationMessage(code: .messageHeader, subcode: 2,
                                                                         data: [0, 18]))))
        #expect(actions.contains(.sessionDown(.malformedMessage(error), wasEstablished: state == .established)))
        #expect(fsm.state == .active)
    }

    @Test func treatAsWithdrawInEstablishedKeepsTheSession() {
        var fsm = F.machine(in: .established)
        let error = BGPDecodeError(.treatAsWithdraw, "UPDATE: bad ORIGIN")
        #expect(fsm.handle(.decodeFailed(error)) == [.startTimer(.hold, .seconds(90)), .ignoredMalformedUpdate(error)])
        #expect(fsm.state == .established)

        var early = F.machine(in: .openConfirm)
        let actions = early.handle(.decodeFailed(error))
        #expect(actions.first == .send(.notification(NotificationMessage(code: .finiteStateMachine, subcode: 2,
                                                                         data: [2]))))
        #expect(early.state == .active)
    }

    static let routeRefreshCases: [(RouteRefreshMessage, Bool)] = [
        (RouteRefreshMessage(family: .ipv4Unicast), true),
        (RouteRefreshMessage(family: .ipv6Unicast), false),  // not negotiated: ignored (RFC 2918 §4)
        (RouteRefreshMessage(family: .ipv4Unicast, subtype: 1), false),  // BoRR (RFC 7313)
        (RouteRefreshMessage(family: .ipv4Unicast, subtype: 2), false),  // EoRR
    ]

    @Test(arguments: routeRefreshCases)
    func routeRefresh(message: RouteRefreshMessage, delivered: Bool) {
        var fsm = F.machine(in: .established)
        #expect(fsm.handle(.messageReceived(.routeRefresh(message)))
            == [.startTimer(.hold, .seconds(90))] + (delivered ? [.deliverRouteRefresh(message)] : []))
    }

    @Test func startEventsOnceStartedAreIgnored() {
        for state in [SessionStateMachine.State.connect, .active, .openSent, .openConfirm, .established] {
            var fsm = F.machine(in: state)
            for event in [SessionStateMachine.Event.manualStart, .automaticStart, .automaticStartPassive] {
                #expect(fsm.handle(event) == [], "\(event) in \(state)")
            }
            #expect(fsm.state == state)
        }
    }

    @Test func secondConnectionWhileOpenIsLeftToTheCollisionProcedure() {
        var fsm = F.machine(in: .openSent)
        #expect(fsm.handle(.tcpConnectionConfirmed) == [])
        #expect(fsm.state == .openSent)
    }

    @Test func updateSentRestartsKeepaliveOnlyWhenKeepalivesRun() {
        var fsm = F.machine(in: .established, peerOpen: F.peerOpen(holdTime: 0))
        #expect(fsm.handle(.updateSent) == [])
        #expect(fsm.handle(.messageReceived(.keepalive)) == [])
    }
}
