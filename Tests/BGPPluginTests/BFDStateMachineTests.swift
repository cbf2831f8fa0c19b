import LBKernel
import Testing
@testable import BGPPlugin

/// A random source that always returns the same word: 0 draws the shortest jittered interval (75 %), `.max` the
/// longest.
struct BFDFixedRandom: RandomNumberGenerator, Sendable {
    var word: UInt64
    mutating func next() -> UInt64 { word }
}

/// The captured FRR session, seen from bfdd "A": its peer B sent the packets in Fixtures/bfd addressed to `frrA`.
let bfdPeer = IPAddress("10.201.0.2")!

extension [BFDStateMachine.Action] {
    var sent: [BFDControlPacket] { compactMap { if case .send(let p) = $0 { p } else { nil } } }
    var changes: [BFDStateChange] { compactMap { if case .reportStateChange(let c) = $0 { c } else { nil } } }
    var discards: [BFDDiscardReason] { compactMap { if case .discard(let r) = $0 { r } else { nil } } }
    func armed(_ timer: BFDStateMachine.Timer) -> Duration? {
        compactMap { if case .armTimer(timer, let d) = $0 { d } else { nil } }.last
    }
    func cancelled(_ timer: BFDStateMachine.Timer) -> Bool { contains(.cancelTimer(timer)) }
}

/// A packet from the peer (discriminator `frrB`) addressed to us (`frrA`, or 0 in Down/AdminDown).
func fromPeer(_ state: BFDState, poll: Bool = false, final: Bool = false, demand: Bool = false,
              detectMultiplier: UInt8 = 3, tx: UInt32 = 300_000, rx: UInt32 = 300_000,
              your: UInt32? = nil) -> BFDStateMachine.Event {
    let your = your ?? (state == .down || state == .adminDown ? 0 : frrA)
    return .packetReceived(
        BFDControlPacket(state: state, poll: poll, final: final, demand: demand, detectMultiplier: detectMultiplier,
                         myDiscriminator: frrB, yourDiscriminator: your, desiredMinTxInterval: tx,
                         requiredMinRxInterval: rx),
        from: bfdPeer)
}

/// A session with FRR A's discriminator, driven to `state` through the handshake with the peer.
func bfdMachine(_ state: BFDState = .down, parameters: BFDParameters = BFDParameters(),
                random: UInt64 = 0) -> BFDStateMachine {
    var machine = BFDStateMachine(parameters: parameters, peer: bfdPeer, localDiscriminator: frrA,
                                  random: BFDFixedRandom(word: random))
    guard state != .adminDown else { return machine }
    _ = machine.handle(.adminUp)
    if state == .initializing || state == .up { _ = machine.handle(fromPeer(.down)) }
    if state == .up { _ = machine.handle(fromPeer(.up)) }
    #expect(machine.sessionState == state)
    return machine
}

@Suite struct BFDStateMachineTests {
    // MARK: State diagram (§6.2, §6.8.6)

    /// Our state, the state in the received packet, the state we end in and the diagnostic we then send.
    static let transitions: [(BFDState, BFDState, BFDState, BFDDiagnostic)] = [
        (.down, .adminDown, .down, .none),
        (.down, .down, .initializing, .none),
        (.down, .initializing, .up, .none),
        (.down, .up, .down, .none),
        (.initializing, .adminDown, .down, .neighborSignaledSessionDown),
        (.initializing, .down, .initializing, .none),
        (.initializing, .initializing, .up, .none),
        (.initializing, .up, .up, .none),
        (.up, .adminDown, .down, .neighborSignaledSessionDown),
        (.up, .down, .down, .neighborSignaledSessionDown),
        (.up, .initializing, .up, .none),
        (.up, .up, .up, .none),
    ]

    @Test(arguments: transitions)
    func stateDiagram(from state: BFDState, received: BFDState, to expected: BFDState, diagnostic: BFDDiagnostic) {
        var machine = bfdMachine(state)
        let actions = machine.handle(fromPeer(received))
        #expect(machine.sessionState == expected)
        #expect(machine.localDiagnostic == diagnostic)
        #expect(actions.changes.map(\.state) == (expected == state ? [] : [expected]))
        if expected != state {
            // A state change goes out at once, as FRR and BIRD do.
            #expect(actions.sent.map(\.state) == [expected])
        }
        #expect(actions.armed(.detection) != nil)
    }

    @Test(arguments: BFDState.allCases)
    func adminDownIgnoresEveryPacket(received: BFDState) {
        var machine = bfdMachine(.adminDown)
        let actions = machine.handle(fromPeer(received))
        #expect(actions == [.discard(.sessionAdminDown)])
        #expect(machine.sessionState == .adminDown)
    }

    @Test func threeWayHandshakeWithFRRsCapturedPackets() throws {
        var machine = bfdMachine(.adminDown)
        var actions = machine.handle(.adminUp)
        #expect(actions == [
            .reportStateChange(BFDStateChange(previousState: .adminDown, state: .down, diagnostic: .none,
                                              remoteState: .down)),
            .send(BFDControlPacket(state: .down, detectMultiplier: 3, myDiscriminator: frrA,
                                   desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 300_000)),
            .armTimer(.transmit, after: .milliseconds(750)),
        ])

        actions = machine.handle(.packetReceived(try .decode(from: bfdFixture("frr-down")), from: bfdPeer))
        #expect(machine.sessionState == .initializing)
        #expect(actions.sent == [BFDControlPacket(
            state: .initializing, detectMultiplier: 3, myDiscriminator: frrA, yourDiscriminator: frrB,
            desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 300_000)])
        #expect(actions.armed(.detection) == .seconds(3))  // 3 × max(300 ms, FRR's 1 s)

        actions = machine.handle(.packetReceived(try .decode(from: bfdFixture("frr-up-poll")), from: bfdPeer))
        #expect(machine.sessionState == .up)
        #expect(actions.changes.map(\.description) == ["Init -> Up (No Diagnostic)"])
        // One packet answers the Poll (F, never P with it) and carries the new state and the 300 ms interval.
        #expect(actions.sent == [BFDControlPacket(
            state: .up, final: true, detectMultiplier: 3, myDiscriminator: frrA, yourDiscriminator: frrB,
            desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000)])
        #expect(actions.armed(.transmit) == .milliseconds(225))
        #expect(actions.armed(.detection) == .milliseconds(900))
        #expect(machine.pollInProgress)

        // Our own Poll for the new interval goes out with the next periodic packet, until FRR's Final.
        #expect(machine.handle(.timerFired(.transmit)).sent.map(\.poll) == [true])
        _ = machine.handle(.packetReceived(try .decode(from: bfdFixture("frr-up-final")), from: bfdPeer))
        #expect(!machine.pollInProgress)
        #expect(machine.handle(.timerFired(.transmit)).sent.map(\.poll) == [false])
    }

    // MARK: Detection Time (§6.8.4)

    /// Peer's Detect Mult, our Required Min RX, peer's Desired Min TX, Detection Time.
    static let detectionTimes: [(UInt8, Duration, UInt32, Duration)] = [
        (3, .milliseconds(300), 300_000, .milliseconds(900)),
        (3, .milliseconds(300), 1_000_000, .seconds(3)),
        (5, .seconds(1), 100_000, .seconds(5)),
        (1, .milliseconds(50), 10_000, .milliseconds(50)),
        (255, .milliseconds(10), 10_000, .milliseconds(2550)),
    ]

    @Test(arguments: detectionTimes)
    func detectionTime(peerMultiplier: UInt8, requiredMinRx: Duration, peerTx: UInt32, expected: Duration) {
        var machine = bfdMachine(parameters: BFDParameters(requiredMinRxInterval: requiredMinRx))
        let actions = machine.handle(fromPeer(.down, detectMultiplier: peerMultiplier, tx: peerTx))
        #expect(actions.armed(.detection) == expected)
    }

    /// How the session goes Down, whether that is a path failure for the BGP session (RFC 5882 §3.2).
    static let downs: [(String, BFDState, BFDStateMachine.Event, BFDDiagnostic, Bool)] = [
        ("Detection Time expires in Up", .up, .timerFired(.detection), .controlDetectionTimeExpired, true),
        ("peer signals Down in Up", .up, fromPeer(.down), .neighborSignaledSessionDown, true),
        ("peer signals AdminDown in Up", .up, fromPeer(.adminDown), .neighborSignaledSessionDown, false),
        ("we go AdminDown in Up", .up, .adminDown, .administrativelyDown, false),
        ("Detection Time expires in Init", .initializing, .timerFired(.detection), .controlDetectionTimeExpired,
         false),
    ]

    @Test(arguments: downs)
    func sessionDown(name: String, from state: BFDState, event: BFDStateMachine.Event,
                     diagnostic: BFDDiagnostic, isPathFailure: Bool) throws {
        var machine = bfdMachine(state)
        let change = try #require(machine.handle(event).changes.first, "\(name)")
        #expect(change.previousState == state)
        #expect(change.diagnostic == diagnostic, "\(name)")
        #expect(change.isPathFailure == isPathFailure, "\(name)")
    }

    @Test func detectionTimeExpiryForgetsThePeer() throws {
        var machine = bfdMachine(.up)
        let actions = machine.handle(.timerFired(.detection))
        #expect(machine.sessionState == .down && machine.remoteDiscriminator == 0)
        // FRR's frr-down-detection-expired.bin has the same shape: Down, diagnostic 1, Your Discriminator 0.
        let packet = try #require(actions.sent.first)
        #expect(packet.state == .down && packet.diagnostic == .controlDetectionTimeExpired)
        #expect(packet.yourDiscriminator == 0)
        #expect(packet.desiredMinTxInterval == 1_000_000, "slow start again once not Up (§6.8.3)")
        // A second expiry without a new packet changes nothing: the timer was not re-armed.
        #expect(machine.handle(.timerFired(.detection)).isEmpty)
    }

    @Test func detectionTimeExpiryInDownOnlyForgetsThePeer() {
        var machine = bfdMachine(.down)
        _ = machine.handle(fromPeer(.adminDown))
        #expect(machine.remoteDiscriminator == frrB)
        let actions = machine.handle(.timerFired(.detection))
        #expect(actions.changes.isEmpty)
        #expect(machine.remoteDiscriminator == 0)
    }

    // MARK: Transmission (§6.8.7, §6.8.3)

    /// Our Desired Min TX, the session state, the peer's Required Min RX, the interval armed (jitter word 0: 75 %).
    static let transmitIntervals: [(Duration, BFDState, UInt32, Duration)] = [
        (.milliseconds(300), .down, 300_000, .milliseconds(750)),  // slow start: 1 s while not Up
        (.milliseconds(300), .initializing, 300_000, .milliseconds(750)),
        (.seconds(2), .initializing, 300_000, .milliseconds(1500)),  // above the floor: as configured
        (.milliseconds(300), .up, 300_000, .milliseconds(225)),
        (.milliseconds(300), .up, 500_000, .milliseconds(375)),  // the peer cannot receive faster
        (.milliseconds(100), .up, 10_000, .milliseconds(75)),
    ]

    @Test(arguments: transmitIntervals)
    func transmitInterval(desiredMinTx: Duration, state: BFDState, peerRx: UInt32, expected: Duration) {
        var machine = bfdMachine(state, parameters: BFDParameters(desiredMinTxInterval: desiredMinTx))
        // A packet that keeps the state (Down stays Down on AdminDown, Init on Down) and ends the Poll.
        let keeping: [BFDState: BFDState] = [.down: .adminDown, .initializing: .down, .up: .up]
        _ = machine.handle(fromPeer(keeping[state]!, final: true, rx: peerRx))
        #expect(machine.handle(.timerFired(.transmit)).armed(.transmit) == expected)
    }

    /// Our Detect Mult, the random word, the fraction of the 1 s slow-start interval armed (§6.8.7).
    static let jitters: [(UInt8, UInt64, Duration)] = [
        (3, 0, .milliseconds(750)),
        (3, .max, .seconds(1)),
        (1, 0, .milliseconds(750)),
        (1, .max, .milliseconds(900)),  // Detect Mult 1: never more than 90 %
    ]

    @Test(arguments: jitters)
    func jitter(multiplier: UInt8, word: UInt64, expected: Duration) {
        var machine = bfdMachine(.adminDown, parameters: BFDParameters(detectMultiplier: multiplier), random: word)
        #expect(machine.handle(.adminUp).armed(.transmit) == expected)
    }

    @Test(arguments: [UInt8(1), 3])
    func jitterStaysInRange(multiplier: UInt8) {
        var machine = BFDStateMachine(parameters: BFDParameters(detectMultiplier: multiplier), peer: bfdPeer,
                                      localDiscriminator: 1)
        _ = machine.handle(.adminUp)
        let upper: Duration = multiplier == 1 ? .milliseconds(900) : .seconds(1)
        for _ in 0..<500 {
            let armed = machine.handle(.timerFired(.transmit)).armed(.transmit)
            #expect(armed.map { $0 >= .milliseconds(750) && $0 <= upper } == true)
        }
    }

    @Test func slowStartAdvertisesOneSecondUntilUp() {
        var machine = bfdMachine(.adminDown, parameters: BFDParameters(desiredMinTxInterval: .milliseconds(50)))
        #expect(machine.handle(.adminUp).sent.map(\.desiredMinTxInterval) == [1_000_000])
        #expect(machine.handle(fromPeer(.down)).sent.map(\.desiredMinTxInterval) == [1_000_000])
        let up = machine.handle(fromPeer(.up))
        #expect(up.sent.map(\.desiredMinTxInterval) == [50_000])
        #expect(up.sent.map(\.poll) == [true], "the change of interval starts a Poll Sequence (§6.8.3)")
    }

    @Test func answersAPollWithAFinalAtOnce() {
        var machine = bfdMachine(.up)
        #expect(machine.pollInProgress)
        let actions = machine.handle(fromPeer(.up, poll: true))
        #expect(actions.sent.map { [$0.poll, $0.final] } == [[false, true]])
        #expect(actions.armed(.transmit) == nil, "a Final is outside the periodic schedule")
    }

    @Test func passiveRoleWaitsForThePeer() {
        var machine = bfdMachine(.adminDown, parameters: BFDParameters(passive: true))
        let start = machine.handle(.adminUp)
        #expect(start.sent.isEmpty && start.armed(.transmit) == nil)
        let first = machine.handle(fromPeer(.down))
        #expect(first.sent.map(\.state) == [.initializing])
        #expect(first.armed(.transmit) != nil)
        // The peer goes silent: it is forgotten, and a passive session stops sending (§6.8.7).
        let silent = machine.handle(.timerFired(.detection))
        #expect(silent.sent.isEmpty)
        #expect(silent.cancelled(.transmit))
        #expect(machine.handle(.timerFired(.transmit)).isEmpty)
    }

    @Test func peerRequiredMinRxZeroStopsPeriodicPackets() {
        var machine = bfdMachine(.up)
        let actions = machine.handle(fromPeer(.up, rx: 0))
        #expect(actions.cancelled(.transmit))
        // A Poll is still answered: "without respect to ... any other transmission limitations".
        #expect(machine.handle(fromPeer(.up, poll: true, rx: 0)).sent.map(\.final) == [true])
    }

    @Test func peerDemandModeStopsPeriodicPacketsOnceThePollEnds() {
        var machine = bfdMachine(.up)
        #expect(machine.handle(.timerFired(.transmit)).sent.count == 1, "polling for the Up interval")
        _ = machine.handle(fromPeer(.up, final: true, demand: true))
        #expect(!machine.pollInProgress)
        let fired = machine.handle(.timerFired(.transmit))
        #expect(fired.sent.isEmpty && fired.armed(.transmit) == nil)
        // The peer leaves Demand mode: periodic packets resume.
        #expect(machine.handle(fromPeer(.up)).armed(.transmit) != nil)
    }

    // MARK: Poll Sequence on timer changes (§6.5, §6.8.3)

    @Test func increasedTransmitIntervalWaitsForTheFinal() {
        var machine = bfdMachine(.up)
        _ = machine.handle(fromPeer(.up, final: true))
        let changed = machine.handle(.reconfigure(BFDParameters(desiredMinTxInterval: .seconds(2))))
        #expect(changed.isEmpty, "the interval in use does not change yet")
        let polling = machine.handle(.timerFired(.transmit))
        #expect(polling.sent.map { [$0.poll ? 1 : 0, Int($0.desiredMinTxInterval)] } == [[1, 2_000_000]])
        #expect(polling.armed(.transmit) == .milliseconds(225), "still 300 ms until the Final")
        let final = machine.handle(fromPeer(.up, final: true))
        #expect(final.armed(.transmit) == .milliseconds(1500))
        #expect(machine.transmitInterval == 2_000_000)
    }

    @Test func decreasedTransmitIntervalAppliesAtOnce() {
        var machine = bfdMachine(.up)
        _ = machine.handle(fromPeer(.up, final: true, rx: 10_000))
        let changed = machine.handle(.reconfigure(BFDParameters(desiredMinTxInterval: .milliseconds(100))))
        #expect(changed.armed(.transmit) == .milliseconds(75))
        #expect(machine.pollInProgress)
    }

    @Test func reducedReceiveIntervalKeepsTheOldDetectionTimeUntilTheFinal() {
        var machine = bfdMachine(.up, parameters: BFDParameters(requiredMinRxInterval: .milliseconds(400)))
        _ = machine.handle(fromPeer(.up, final: true, tx: 50_000))
        _ = machine.handle(.reconfigure(BFDParameters(requiredMinRxInterval: .milliseconds(100))))
        #expect(machine.requiredMinRxInterval == 100_000)
        #expect(machine.handle(fromPeer(.up, tx: 50_000)).armed(.detection) == .milliseconds(1200))
        #expect(machine.handle(fromPeer(.up, final: true, tx: 50_000)).armed(.detection) == .milliseconds(300))
    }

    @Test func increasedReceiveIntervalLengthensTheDetectionTimeAtOnce() {
        var machine = bfdMachine(.up)
        _ = machine.handle(.reconfigure(BFDParameters(requiredMinRxInterval: .seconds(1))))
        #expect(machine.handle(fromPeer(.up)).armed(.detection) == .seconds(3))
    }

    // MARK: Reception rules that need the session (§6.8.6, RFC 5881 §3)

    static let discarded: [(String, BFDStateMachine.Event, BFDDiscardReason)] = [
        ("another source", .packetReceived(
            BFDControlPacket(state: .down, detectMultiplier: 3, myDiscriminator: frrB, desiredMinTxInterval: 1,
                             requiredMinRxInterval: 1), from: IPAddress("10.201.0.9")!), .unexpectedSource),
        ("another session's discriminator", fromPeer(.up, your: frrA &+ 1), .yourDiscriminatorMismatch),
        ("authentication", .packetReceived(
            BFDControlPacket(state: .down, detectMultiplier: 3, myDiscriminator: frrB, desiredMinTxInterval: 1,
                             requiredMinRxInterval: 1, authentication: .simplePassword(keyID: 1, password: [0x61])),
            from: bfdPeer), .authenticationNotInUse),
    ]

    @Test(arguments: discarded)
    func discards(name: String, event: BFDStateMachine.Event, reason: BFDDiscardReason) {
        var machine = bfdMachine(.up)
        let actions = machine.handle(event)
        #expect(actions == [.discard(reason)], "\(name)")
        #expect(machine.sessionState == .up && machine.remoteDiscriminator == frrB)
    }

    // MARK: AdminDown (§6.8.16)

    @Test func adminDownTellsThePeerAndStopsWatchingIt() {
        var machine = bfdMachine(.up)
        let actions = machine.handle(.adminDown)
        #expect(actions.changes.map(\.description) == ["Up -> AdminDown (Administratively Down)"])
        #expect(actions.cancelled(.detection))
        #expect(actions.sent.map { "\($0.state) \($0.diagnostic.rawValue) \($0.yourDiscriminator)" }
                == ["AdminDown 7 \(frrB)"])
        #expect(machine.handle(.timerFired(.detection)).isEmpty)
        #expect(machine.handle(.timerFired(.transmit)).sent.map(\.state) == [.adminDown])
        // Enabled again: Down, then the handshake as usual.
        #expect(machine.handle(.adminUp).sent.map(\.state) == [.down])
    }

    @Test func staleTransmitTimerDoesNothing() {
        var machine = bfdMachine(.adminDown, parameters: BFDParameters(passive: true))
        #expect(machine.handle(.timerFired(.transmit)).isEmpty)
        #expect(machine.handle(.timerFired(.detection)).isEmpty)
    }

    @Test(arguments: [
        (BFDProfile(name: "default"), BFDParameters(desiredMinTxInterval: .milliseconds(300),
                                                    requiredMinRxInterval: .milliseconds(300), detectMultiplier: 3)),
        (BFDProfile(name: "fast", receiveInterval: 50, transmitInterval: 20, detectMultiplier: 5, echoMode: true,
                    passiveMode: true),
         BFDParameters(desiredMinTxInterval: .milliseconds(20), requiredMinRxInterval: .milliseconds(50),
                       detectMultiplier: 5, passive: true)),
        (BFDProfile(name: "slow", receiveInterval: 60000, transmitInterval: 60000, detectMultiplier: 255),
         BFDParameters(desiredMinTxInterval: .seconds(60), requiredMinRxInterval: .seconds(60),
                       detectMultiplier: 255)),
    ])
    func parametersFromProfile(profile: BFDProfile, expected: BFDParameters) {
        #expect(BFDParameters(profile: profile) == expected)
    }
}
