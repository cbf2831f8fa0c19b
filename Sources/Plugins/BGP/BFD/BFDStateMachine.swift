import LBKernel

/// One BFD session in Asynchronous mode (RFC 5880 §6.2, §6.8): events in, actions out, no I/O and no clock.
///
/// The shell feeds it received packets (already decoded, see ``BFDControlPacket/decode(from:)``), timer expiries
/// and administrative commands, and performs what it returns: send a packet, arm or cancel one of the two timers
/// (each arm replaces the previous deadline of that timer), report a state change, count a discarded packet.
///
/// What it implements: the three-way handshake and the state diagram of §6.2; the reception rules of §6.8.6 that
/// need the session; the Detection Time of §6.8.4; the transmit interval with 0–25 % jitter of §6.8.7 (from an
/// injected random source); the 1-second floor on bfd.DesiredMinTxInterval while not Up (§6.8.3); the Poll
/// Sequence on every timer change, holding an increased transmit interval and a reduced receive interval until the
/// Final arrives (§6.5, §6.8.3); the Passive role (§6.1); AdminDown (§6.8.16).
///
/// What it does not: Demand mode is never asked for (D is always clear), though a peer's D bit is honoured as
/// §6.8.7 requires; no Echo function (Required Min Echo RX Interval is 0); no authentication (a packet with the A
/// bit is discarded, §6.8.6). It sends a packet at once when its state changes, as FRR and BIRD do, so the
/// handshake does not wait for the next periodic packet (1 s during slow start).
public struct BFDStateMachine: Sendable {
    /// The session's two timers.
    public enum Timer: Hashable, Sendable, CaseIterable {
        /// When the next periodic Control packet is due.
        case transmit
        /// When the peer is declared dead if no packet arrives (the Detection Time, §6.8.4).
        case detection
    }

    /// Something that happened to the session.
    public enum Event: Sendable {
        /// Enable the session (leave AdminDown for Down and start sending).
        case adminUp
        /// Disable the session: AdminDown, sent to the peer (§6.8.16).
        case adminDown
        /// A valid Control packet arrived from `source`.
        case packetReceived(BFDControlPacket, from: IPAddress)
        /// A timer armed by an earlier ``Action/armTimer(_:after:)`` expired.
        case timerFired(Timer)
        /// The local parameters changed (a new profile); intervals change through a Poll Sequence.
        case reconfigure(BFDParameters)
    }

    /// What the shell must do, in order.
    public enum Action: Hashable, Sendable {
        /// Send this packet to the peer now.
        case send(BFDControlPacket)
        /// Arm `timer` to fire after the duration, replacing its previous deadline.
        case armTimer(Timer, after: Duration)
        /// Stop `timer`.
        case cancelTimer(Timer)
        /// Tell the client the session changed state.
        case reportStateChange(BFDStateChange)
        /// Count a received packet dropped for this reason.
        case discard(BFDDiscardReason)
    }

    /// The local parameters.
    public private(set) var parameters: BFDParameters
    /// The peer's address: packets from anywhere else are discarded (single-hop, RFC 5881 §3).
    public let peer: IPAddress
    /// bfd.LocalDiscr: nonzero and unique among this system's sessions.
    public let localDiscriminator: UInt32
    /// bfd.SessionState; AdminDown until ``Event/adminUp``.
    public private(set) var sessionState: BFDState = .adminDown
    /// bfd.RemoteSessionState.
    public private(set) var remoteSessionState: BFDState = .down
    /// bfd.RemoteDiscr, zero until the peer is heard and again after a Detection Time of silence.
    public private(set) var remoteDiscriminator: UInt32 = 0
    /// bfd.LocalDiag: why the session last changed state.
    public private(set) var localDiagnostic: BFDDiagnostic = .none
    /// bfd.DesiredMinTxInterval as we send it, in microseconds.
    public private(set) var desiredMinTxInterval: UInt32
    /// bfd.RequiredMinRxInterval as we send it, in microseconds.
    public private(set) var requiredMinRxInterval: UInt32
    /// bfd.RemoteMinRxInterval in microseconds (1 until the peer is heard, §6.8.1).
    public private(set) var remoteMinRxInterval: UInt32 = 1
    /// The peer's last Desired Min TX Interval, in microseconds.
    public private(set) var remoteDesiredMinTxInterval: UInt32 = 0
    /// The peer's last Detect Mult.
    public private(set) var remoteDetectMultiplier: UInt8 = 0
    /// bfd.RemoteDemandMode.
    public private(set) var remoteDemandMode = false
    /// Whether we are running a Poll Sequence (sending P until a packet with F arrives).
    public private(set) var pollInProgress = false

    /// The Desired Min TX Interval our transmit interval uses: an increase waits for the Poll to end (§6.8.3).
    private var transmitDesiredInUse: UInt32
    /// The Required Min RX Interval the Detection Time uses: a reduction waits for the Poll to end (§6.8.3).
    private var detectionRequiredInUse: UInt32
    /// The un-jittered interval the transmit timer is armed for, or nil when it is not armed.
    private var armedTransmitInterval: UInt32?
    /// Whether the detection timer is armed.
    private var detectionArmed = false
    /// The jitter source.
    private var random: any RandomNumberGenerator & Sendable

    /// Creates a session in AdminDown; `localDiscriminator` must be nonzero (§6.8.1), `random` draws the jitter.
    public init(parameters: BFDParameters, peer: IPAddress, localDiscriminator: UInt32,
                random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        precondition(localDiscriminator != 0, "bfd.LocalDiscr must be nonzero (RFC 5880 §6.8.1)")
        self.parameters = parameters
        self.peer = peer
        self.localDiscriminator = localDiscriminator
        self.random = random
        desiredMinTxInterval = max(parameters.desiredMinTxInterval, BFDParameters.slowStartMinTxInterval)
        requiredMinRxInterval = parameters.requiredMinRxInterval
        transmitDesiredInUse = desiredMinTxInterval
        detectionRequiredInUse = requiredMinRxInterval
    }

    /// Applies `event` and returns what to do.
    public mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .adminUp: adminUp(&actions)
        case .adminDown: adminDown(&actions)
        case .packetReceived(let packet, let source): receive(packet, from: source, &actions)
        case .timerFired(.transmit): transmitTimerFired(&actions)
        case .timerFired(.detection): detectionTimerFired(&actions)
        case .reconfigure(let parameters): reconfigure(parameters, &actions)
        }
        return actions
    }
}

// MARK: - Events

extension BFDStateMachine {
    private mutating func adminUp(_ actions: inout [Action]) {
        guard sessionState == .adminDown else { return }
        setState(.down, diagnostic: .none, &actions)
        sendNow(&actions)
    }

    /// §6.8.16: AdminDown with diagnostic 7, sent on until the shell stops; the peer is no longer watched.
    private mutating func adminDown(_ actions: inout [Action]) {
        guard sessionState != .adminDown else { return }
        setState(.adminDown, diagnostic: .administrativelyDown, &actions)
        if detectionArmed {
            detectionArmed = false
            actions.append(.cancelTimer(.detection))
        }
        sendNow(&actions)
    }

    /// The reception rules of RFC 5880 §6.8.6, in the RFC's order, after the codec's own checks.
    private mutating func receive(_ packet: BFDControlPacket, from source: IPAddress, _ actions: inout [Action]) {
        // RFC 5881 §3: a single-hop session is selected by the source address (and interface).
        guard source == peer else { return actions.append(.discard(.unexpectedSource)) }
        // "If the Your Discriminator field is nonzero, it MUST be used to select the session ... If no session is
        // found, the packet MUST be discarded."
        guard packet.yourDiscriminator == 0 || packet.yourDiscriminator == localDiscriminator else {
            return actions.append(.discard(.yourDiscriminatorMismatch))
        }
        // "If the A bit is set and no authentication is in use (bfd.AuthType is zero), the packet MUST be discarded."
        guard packet.authentication == nil else { return actions.append(.discard(.authenticationNotInUse)) }

        remoteDiscriminator = packet.myDiscriminator
        remoteSessionState = packet.state
        remoteDemandMode = packet.demand
        remoteMinRxInterval = packet.requiredMinRxInterval
        remoteDesiredMinTxInterval = packet.desiredMinTxInterval
        remoteDetectMultiplier = packet.detectMultiplier
        // "If a Poll Sequence is being transmitted by the local system and the Final (F) bit in the received packet
        // is set, the Poll Sequence MUST be terminated" - and the held-back intervals take effect (§6.8.3).
        if pollInProgress && packet.final {
            pollInProgress = false
            transmitDesiredInUse = desiredMinTxInterval
            detectionRequiredInUse = requiredMinRxInterval
        }
        // "If bfd.SessionState is AdminDown: Discard the packet."
        guard sessionState != .adminDown else { return actions.append(.discard(.sessionAdminDown)) }

        let stateBefore = sessionState
        if packet.state == .adminDown {
            if sessionState != .down { setState(.down, diagnostic: .neighborSignaledSessionDown, &actions) }
        } else {
            switch (sessionState, packet.state) {
            case (.down, .down): setState(.initializing, diagnostic: localDiagnostic, &actions)
            case (.down, .initializing), (.initializing, .initializing), (.initializing, .up):
                setState(.up, diagnostic: .none, &actions)
            case (.up, .down): setState(.down, diagnostic: .neighborSignaledSessionDown, &actions)
            default: break
            }
        }
        // "If the Poll (P) bit is set, send a Control packet ... with the Final (F) bit set as soon as practicable,
        // without respect to the transmission timer or any other transmission limitations". It also carries a
        // state change, so no second packet is needed for that.
        if packet.poll {
            actions.append(.send(makePacket(final: true)))
            if sessionState != stateBefore { restartTransmitTimer(&actions) }
        } else if sessionState != stateBefore {
            sendNow(&actions)
        }
        updateTransmitTimer(&actions, restart: false)
        // "... it has been received for purposes of the Detection Time expiration rules in section 6.8.4."
        detectionArmed = true
        actions.append(.armTimer(.detection, after: .microseconds(detectionTime)))
    }

    private mutating func transmitTimerFired(_ actions: inout [Action]) {
        guard armedTransmitInterval != nil else { return }  // Cancelled after it fired: nothing is due.
        armedTransmitInterval = nil
        if mayTransmitPeriodically { actions.append(.send(makePacket(final: false))) }
        updateTransmitTimer(&actions, restart: true)
    }

    /// §6.8.4: a Detection Time without a packet: Init or Up go Down, and the peer is forgotten (§6.8.1).
    private mutating func detectionTimerFired(_ actions: inout [Action]) {
        guard detectionArmed, sessionState != .adminDown else { return }
        detectionArmed = false
        let stateBefore = sessionState
        if sessionState == .initializing || sessionState == .up {
            setState(.down, diagnostic: .controlDetectionTimeExpired, &actions)
        }
        // §6.8.1: bfd.RemoteDiscr "MUST be set to zero" after a Detection Time without a packet. The other remote
        // variables go back to their initial values too: nothing is known about the peer any more (a Passive
        // session then stops sending, §6.8.7).
        remoteDiscriminator = 0
        remoteSessionState = .down
        remoteDemandMode = false
        remoteMinRxInterval = 1
        if sessionState != stateBefore { sendNow(&actions) } else { updateTransmitTimer(&actions, restart: false) }
    }

    private mutating func reconfigure(_ newParameters: BFDParameters, _ actions: inout [Action]) {
        guard newParameters != parameters else { return }
        parameters = newParameters
        applyIntervals()
        updateTransmitTimer(&actions, restart: false)
    }
}

// MARK: - State, intervals and transmission

extension BFDStateMachine {
    /// The Detection Time in microseconds (§6.8.4, Asynchronous mode): the peer's Detect Mult times the larger of
    /// our Required Min RX Interval (the one in force) and the peer's last Desired Min TX Interval.
    public var detectionTime: UInt64 {
        UInt64(remoteDetectMultiplier) * UInt64(max(detectionRequiredInUse, remoteDesiredMinTxInterval))
    }

    /// The transmit interval before jitter, in microseconds (§6.8.7): the larger of our Desired Min TX Interval in
    /// force and the peer's Required Min RX Interval.
    public var transmitInterval: UInt32 { max(transmitDesiredInUse, remoteMinRxInterval) }

    /// Whether periodic packets may be sent now (§6.8.7).
    public var mayTransmitPeriodically: Bool {
        // "A system MUST NOT transmit BFD Control packets if bfd.RemoteDiscr is zero and the system is taking the
        // Passive role."
        if parameters.passive && remoteDiscriminator == 0 { return false }
        // "A system MUST NOT periodically transmit BFD Control packets if bfd.RemoteMinRxInterval is zero."
        if remoteMinRxInterval == 0 { return false }
        // "... if Demand mode is active on the remote system (bfd.RemoteDemandMode is 1, bfd.SessionState is Up,
        // and bfd.RemoteSessionState is Up) and a Poll Sequence is not being transmitted."
        if remoteDemandMode && sessionState == .up && remoteSessionState == .up && !pollInProgress { return false }
        return true
    }

    /// Enters `state` with `diagnostic`, reports it, and moves the intervals to the state's values.
    private mutating func setState(_ state: BFDState, diagnostic: BFDDiagnostic, _ actions: inout [Action]) {
        let change = BFDStateChange(
            previousState: sessionState, state: state, diagnostic: diagnostic, remoteState: remoteSessionState)
        sessionState = state
        localDiagnostic = diagnostic
        actions.append(.reportStateChange(change))
        applyIntervals()
    }

    /// Sets the advertised intervals for the current state and parameters; a change starts a Poll Sequence.
    ///
    /// §6.8.3: not Up, Desired Min TX is at least 1 s. While Up, an increased Desired Min TX must not slow our
    /// sending and a reduced Required Min RX must not shorten the Detection Time until the Poll ends.
    private mutating func applyIntervals() {
        let transmit = sessionState == .up
            ? parameters.desiredMinTxInterval
            : max(parameters.desiredMinTxInterval, BFDParameters.slowStartMinTxInterval)
        let receive = parameters.requiredMinRxInterval
        guard transmit != desiredMinTxInterval || receive != requiredMinRxInterval else { return }
        desiredMinTxInterval = transmit
        requiredMinRxInterval = receive
        if sessionState == .up {
            transmitDesiredInUse = min(transmitDesiredInUse, transmit)
            detectionRequiredInUse = max(detectionRequiredInUse, receive)
        } else {
            transmitDesiredInUse = transmit
            detectionRequiredInUse = receive
        }
        // "If either bfd.DesiredMinTxInterval is changed or bfd.RequiredMinRxInterval is changed, a Poll Sequence
        // MUST be initiated."
        pollInProgress = true
    }

    /// Sends a packet now, when sending is allowed, and starts a new transmit interval after it.
    private mutating func sendNow(_ actions: inout [Action]) {
        if mayTransmitPeriodically { actions.append(.send(makePacket(final: false))) }
        restartTransmitTimer(&actions)
    }

    private mutating func restartTransmitTimer(_ actions: inout [Action]) {
        updateTransmitTimer(&actions, restart: true)
    }

    /// Arms the transmit timer for a jittered interval when sending is allowed and the timer must restart, is not
    /// armed, or was armed for another interval; cancels it when sending is not allowed. Idempotent otherwise.
    private mutating func updateTransmitTimer(_ actions: inout [Action], restart: Bool) {
        guard mayTransmitPeriodically else {
            if armedTransmitInterval != nil {
                armedTransmitInterval = nil
                actions.append(.cancelTimer(.transmit))
            }
            return
        }
        let interval = transmitInterval
        guard restart || armedTransmitInterval != interval else { return }
        armedTransmitInterval = interval
        actions.append(.armTimer(.transmit, after: .microseconds(jittered(interval))))
    }

    /// §6.8.7: the interval less a random 0-25 %; with a Detect Mult of 1, between 75 % and 90 % of it.
    ///
    /// One 64-bit word scales the range (a random word of 0 gives 75 %, all ones the top): no rejection loop, so a
    /// test's fixed random source gives exact intervals.
    private mutating func jittered(_ interval: UInt32) -> UInt64 {
        let full = UInt64(interval)
        let least = full * 75 / 100
        let most = parameters.detectMultiplier == 1 ? full * 90 / 100 : full
        return least + (most - least + 1).multipliedFullWidth(by: random.next()).high
    }

    /// The next packet to send (§6.8.7): P while polling unless this is a Final, no Echo, no Demand.
    private func makePacket(final: Bool) -> BFDControlPacket {
        BFDControlPacket(
            diagnostic: localDiagnostic,
            state: sessionState,
            poll: pollInProgress && !final,  // "A BFD Control packet MUST NOT have both the P and F bits set."
            final: final,
            detectMultiplier: parameters.detectMultiplier,
            myDiscriminator: localDiscriminator,
            yourDiscriminator: remoteDiscriminator,
            desiredMinTxInterval: desiredMinTxInterval,
            requiredMinRxInterval: requiredMinRxInterval,
            requiredMinEchoRxInterval: 0)
    }
}
