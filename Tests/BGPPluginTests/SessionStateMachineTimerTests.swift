import LBKernel
import Testing
@testable import BGPPlugin

/// Hold time and keepalive negotiation (RFC 4271 §4.2, §4.4) and the connect-retry backoff.
@Suite struct SessionStateMachineTimerTests {
    typealias F = SessionFixture

    static let holdTimeCases: [(UInt16, UInt16, UInt16?, UInt16, UInt16)] = [
        (UInt16(90), UInt16(90), UInt16?.none, UInt16(90), UInt16(30)),
        (90, 180, nil, 90, 30),
        (180, 9, nil, 9, 3),
        (90, 0, nil, 0, 0),
        (0, 90, nil, 0, 0),
        (0, 0, 30, 0, 0),
        (3, 90, nil, 3, 1),
        (90, 4, nil, 4, 1),
        (10, 10, nil, 10, 3),
        (180, 180, 60, 180, 60),
        (90, 90, 10, 90, 10),
        (90, 90, 40, 90, 30),  // capped at a third of the hold time
        (90, 9, 30, 9, 3),     // the peer's short hold time caps the configured keepalive
        (90, 90, 0, 90, 30),   // 0 means "not configured"
        (65535, 65535, nil, 65535, 21845),
    ]

    /// (our hold, peer's hold, configured keepalive) -> (hold, keepalive).
    @Test(arguments: holdTimeCases)
    func holdTimeNegotiation(localHold: UInt16, peerHold: UInt16, keepalive: UInt16?, hold: UInt16,
                             expectedKeepalive: UInt16) {
        let timers = SessionStateMachine.negotiateTimers(localHold: localHold, peerHold: peerHold,
                                                         keepalive: keepalive)
        #expect(timers.hold == hold)
        #expect(timers.keepalive == expectedKeepalive)
        let fsm = F.machine(in: .openConfirm, configuration: F.configuration(holdTime: localHold,
                                                                             keepaliveTime: keepalive),
                            peerOpen: F.peerOpen(holdTime: peerHold))
        #expect(fsm.negotiated?.holdTime == hold)
        #expect(fsm.negotiated?.keepaliveTime == expectedKeepalive)
    }

    @Test func ourHoldTimeOf1Or2IsRaisedTo3() {
        #expect(F.configuration(holdTime: 1).holdTime == 3)
        #expect(F.configuration(holdTime: 2).holdTime == 3)
        #expect(F.configuration(holdTime: 0).holdTime == 0)
    }

    /// Hold time 0: no hold timer (the OpenSent one is stopped), no keepalives, nothing restarted on receipt.
    @Test func zeroHoldTimeRunsNoTimers() {
        var fsm = F.machine(in: .openSent)
        #expect(fsm.handle(.messageReceived(.open(F.peerOpen(holdTime: 0)))) == [.send(.keepalive), .stopTimer(.hold)])
        #expect(fsm.handle(.messageReceived(.keepalive))
            == [.startTimer(.backoffReset, .seconds(60)), .established(fsm.negotiated!)])
        #expect(fsm.runningTimers == [.backoffReset])
        #expect(fsm.handle(.messageReceived(.update(UpdateMessage()))) == [.deliverUpdate(UpdateMessage())])
        #expect(fsm.negotiated?.holdDuration == nil)
        #expect(fsm.negotiated?.keepaliveDuration == nil)
    }

    @Test func openSentHoldTimeIsConfigurable() {
        var configuration = F.configuration()
        configuration.openSentHoldTime = .seconds(30)
        var fsm = SessionStateMachine(configuration: configuration)
        _ = fsm.handle(.manualStart)
        #expect(fsm.handle(.tcpConnectionAcknowledged).last == .startTimer(.hold, .seconds(30)))
    }

    @Test func backoffDoublesToTheCap() {
        var backoff = ConnectRetryBackoff(.init(jitter: 1...1))
        let delays = (0..<10).map { _ in backoff.nextDelay() }
        #expect(delays == [1, 2, 4, 8, 16, 32, 64, 120, 120, 120].map { Duration.seconds($0) })
        #expect(backoff.repeatDelay() == .seconds(120))
        backoff.reset()
        #expect(backoff.repeatDelay() == .seconds(1))
        #expect(backoff.nextDelay() == .seconds(2))
    }

    @Test func backoffFromAConfiguredInitialDelay() {
        var backoff = ConnectRetryBackoff(.init(initialDelay: .seconds(5), maximumDelay: .seconds(30),
                                                multiplier: 3, jitter: 1...1))
        #expect((0..<4).map { _ in backoff.nextDelay() } == [5, 15, 30, 30].map { Duration.seconds($0) })
    }

    /// Jitter (RFC 4271 §10): each delay is the base times a factor in 0.75...1.0, the same for the same seed.
    @Test(arguments: [UInt64(0), 1, 42, 0xDEAD_BEEF])
    func backoffJitterIsSeededAndBounded(seed: UInt64) {
        var a = ConnectRetryBackoff(.init(seed: seed))
        var b = ConnectRetryBackoff(.init(seed: seed))
        var c = ConnectRetryBackoff(.init(seed: seed &+ 1))
        let bases = [1, 2, 4, 8, 16, 32, 64, 120, 120].map { Duration.seconds($0) }
        var differs = false
        for base in bases {
            let delay = a.nextDelay()
            #expect(delay == b.nextDelay())
            if delay != c.nextDelay() { differs = true }
            #expect(delay >= base * 0.75 && delay <= base, "\(delay) for base \(base)")
        }
        #expect(differs)
    }

    @Test func fixedJitterSequence() {
        var backoff = ConnectRetryBackoff(.init(jitter: 0.5...0.5))
        #expect((0..<3).map { _ in backoff.nextDelay() } == [.milliseconds(500), .seconds(1), .seconds(2)])
    }

    /// A peer that refuses connections: attempts 1, 2, 4, 8 s apart, each attempt's ConnectRetryTimer running
    /// from its start.
    @Test func refusedConnectionsBackOff() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        var delays: [Duration] = []
        func record(_ actions: [SessionStateMachine.Action]) {
            for case .startTimer(.connectRetry, let d) in actions { delays.append(d) }
            #expect(actions.last == .connect)
        }
        record(fsm.handle(.manualStart))
        for _ in 0..<4 {
            #expect(fsm.handle(.tcpConnectionFails) == [])
            #expect(fsm.state == .active)
            record(fsm.handle(.timerExpired(.connectRetry)))
            #expect(fsm.state == .connect)
        }
        #expect(delays == [1, 2, 4, 8, 16].map { Duration.seconds($0) })
        #expect(fsm.connectRetryCounter == 4)
    }

    /// Connection attempts that hang: the ConnectRetryTimer abandons each one and tries again, backing off.
    @Test func hangingConnectionsBackOff() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        _ = fsm.handle(.manualStart)
        #expect(fsm.handle(.timerExpired(.connectRetry))
            == [.closeConnection, .startTimer(.connectRetry, .seconds(2)), .connect])
        #expect(fsm.handle(.timerExpired(.connectRetry))
            == [.closeConnection, .startTimer(.connectRetry, .seconds(4)), .connect])
    }

    /// Sessions that fail after TCP is up: each failure waits the delay of the attempt that failed, and the next
    /// attempt draws the next one, so the waits double once per failure.
    @Test func failingSessionsBackOffAndAStableSessionResets() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        _ = fsm.handle(.manualStart)  // attempt 1: 1 s
        var waits: [Duration] = []
        func failAfterOpen() {
            _ = fsm.handle(.tcpConnectionAcknowledged)
            let actions = fsm.handle(.messageReceived(.notification(.cease(.connectionRejected))))
            for case .startTimer(.connectRetry, let d) in actions { waits.append(d) }
            #expect(fsm.state == .active)
            _ = fsm.handle(.timerExpired(.connectRetry))
            #expect(fsm.state == .connect)
        }
        for _ in 0..<4 { failAfterOpen() }
        #expect(waits == [1, 2, 4, 8].map { Duration.seconds($0) })

        // Established long enough: the backoff starts again.
        _ = fsm.handle(.tcpConnectionAcknowledged)
        _ = fsm.handle(.messageReceived(.open(F.peerOpen())))
        _ = fsm.handle(.messageReceived(.keepalive))
        #expect(fsm.handle(.timerExpired(.backoffReset)) == [])
        #expect(fsm.connectRetryCounter == 0)
        let actions = fsm.handle(.timerExpired(.hold))
        #expect(actions.last == .startTimer(.connectRetry, .seconds(1)))
        #expect(fsm.handle(.timerExpired(.connectRetry)) == [.startTimer(.connectRetry, .seconds(2)), .connect])
    }

    /// Without the reset timer firing (a session that flaps quickly) the backoff keeps growing.
    @Test func shortSessionsDoNotResetTheBackoff() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        _ = fsm.handle(.manualStart)
        _ = fsm.handle(.timerExpired(.connectRetry))  // 2 s
        _ = fsm.handle(.tcpConnectionAcknowledged)
        _ = fsm.handle(.messageReceived(.open(F.peerOpen())))
        _ = fsm.handle(.messageReceived(.keepalive))
        #expect(fsm.handle(.tcpConnectionFails).last == .startTimer(.connectRetry, .seconds(2)))
        #expect(fsm.handle(.timerExpired(.connectRetry)) == [.startTimer(.connectRetry, .seconds(4)), .connect])
    }

    @Test func manualStartResetsTheBackoffAutomaticStartDoesNot() {
        var fsm = SessionStateMachine(configuration: F.configuration())
        _ = fsm.handle(.manualStart)
        _ = fsm.handle(.timerExpired(.connectRetry))
        _ = fsm.handle(.manualStop(.peerDeconfigured))
        #expect(fsm.handle(.automaticStart) == [.startTimer(.connectRetry, .seconds(4)), .connect])
        _ = fsm.handle(.manualStop(.peerDeconfigured))
        #expect(fsm.handle(.manualStart) == [.startTimer(.connectRetry, .seconds(1)), .connect])
    }

    @Test func configurationFromABGPPeer() {
        var peer = BGPPeer(name: "r1", myASN: 64512, peerASN: nil, peerAddress: IPAddress("fd00::1"),
                           dynamicASN: .external, localASN: 64600, keepaliveTime: GoDuration(seconds: 10),
                           connectTime: GoDuration(seconds: 5), enableGracefulRestart: true)
        var configuration = SessionConfiguration(peer: peer, routerID: F.localID, gracefulRestarting: true, seed: 7)
        #expect(configuration.localAS == 64600)
        #expect(configuration.peerAS == .external)
        #expect(configuration.holdTime == 30)
        #expect(configuration.keepaliveTime == 10)
        #expect(configuration.families == [.ipv6Unicast])
        #expect(configuration.gracefulRestart == .init(restartTime: 120, restarting: true))
        #expect(configuration.connectRetry.initialDelay == .seconds(5))
        #expect(configuration.connectRetry.seed == 7)
        #expect(configuration.passive == false)

        peer = BGPPeer(name: "r2", myASN: 64512, peerASN: 64513, peerAddress: IPAddress("10.0.0.2"),
                       holdTime: GoDuration(seconds: 9), dualStackAddressFamily: true, passive: true)
        configuration = SessionConfiguration(peer: peer, routerID: F.localID)
        #expect(configuration.localAS == 64512)
        #expect(configuration.peerAS == .exactly(64513))
        #expect(configuration.holdTime == 9)
        #expect(configuration.keepaliveTime == nil)
        #expect(configuration.families == [.ipv4Unicast, .ipv6Unicast])
        #expect(configuration.gracefulRestart == nil)
        #expect(configuration.connectRetry.initialDelay == .seconds(1))
        #expect(configuration.passive)

        peer = BGPPeer(name: "r3", myASN: 64512, peerASN: nil, peerAddress: IPAddress("10.0.0.2"),
                       dynamicASN: .internal)
        #expect(SessionConfiguration(peer: peer, routerID: F.localID).peerAS == .internal)
        #expect(SessionConfiguration(peer: peer, routerID: F.localID).holdTime == 90)
    }
}
