public import LBKernel

/// The BGP finite state machine of one connection to one peer (RFC 4271 §8): events in, actions out.
///
/// The machine does no I/O and never reads a clock. The shell (the NIO connection code) feeds it an ``Event`` for
/// everything that happens — a start or stop, a timer expiry, a TCP connection coming up or failing, a decoded
/// message or a decode error, an UPDATE it sent — and performs the returned ``Action``s in order: connect, send,
/// close, start and stop timers (the shell owns the clock), report the session up or down, deliver what the peer sent.
///
/// One machine tracks one TCP connection. A collision (the peer connects while our own connection is up, RFC 4271
/// §6.8) is handled by the shell with a second machine for the incoming connection, started with
/// ``Event/automaticStartPassive`` then ``Event/tcpConnectionConfirmed``, and ``SessionCollisionResolver`` to pick
/// the connection to close, which gets ``Event/openCollisionDump``.
///
/// Deviations from the letter of RFC 4271 §8.2.2, chosen so that one backoff paces every retry:
/// - A failed outgoing connection in Connect moves to Active and lets the running ConnectRetryTimer run out before
///   the next attempt (RFC 1771's behaviour, and FRR's), instead of dropping to Idle.
/// - Falling to Idle after an error is followed at once, in the same step, by the machine's own
///   AutomaticStart_with_PassiveTcpEstablishment (Event 5): the machine waits in Active, accepting the peer's
///   connection, until the ConnectRetryTimer (a ``ConnectRetryBackoff`` delay) expires and it connects again.
///   Only ``Event/manualStop(_:)`` and a lost collision leave it in Idle.
/// - DelayOpen, DampPeerOscillations and the IdleHoldTimer are not implemented; the backoff does their job.
public struct SessionStateMachine: Sendable {
    /// The session states (RFC 4271 §8.2.2).
    public enum State: Hashable, Sendable, CustomStringConvertible {
        /// Refusing connections, not connecting.
        case idle
        /// Waiting for our outgoing TCP connection to complete.
        case connect
        /// Waiting for the peer to connect (and, unless passive, for the ConnectRetryTimer to connect again).
        case active
        /// Our OPEN is sent; waiting for the peer's.
        case openSent
        /// Both OPENs are exchanged; waiting for the peer's KEEPALIVE.
        case openConfirm
        /// The session is up: UPDATEs flow.
        case established

        /// The RFC's name of the state.
        public var description: String {
            switch self {
            case .idle: "Idle"
            case .connect: "Connect"
            case .active: "Active"
            case .openSent: "OpenSent"
            case .openConfirm: "OpenConfirm"
            case .established: "Established"
            }
        }
    }

    /// The timers the machine asks the shell to run; each is started, restarted or stopped by an ``Action``, and its
    /// expiry comes back as ``Event/timerExpired(_:)``.
    public enum Timer: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// The ConnectRetryTimer (RFC 4271 §8.1.1, Event 9): when to try connecting again.
        case connectRetry
        /// The HoldTimer (Event 10): the peer has been silent too long.
        case hold
        /// The KeepaliveTimer (Event 11): time to send a KEEPALIVE.
        case keepalive
        /// lbd's own timer: the session has been Established long enough to reset the connect-retry backoff.
        case backoffReset

        /// The timer's name, for logs.
        public var description: String {
            switch self {
            case .connectRetry: "ConnectRetryTimer"
            case .hold: "HoldTimer"
            case .keepalive: "KeepaliveTimer"
            case .backoffReset: "BackoffResetTimer"
            }
        }
    }

    /// What happens to the session (RFC 4271 §8.1, numbered as there).
    public enum Event: Hashable, Sendable {
        /// ManualStart (Event 1): start, connecting unless the configuration is passive.
        case manualStart
        /// ManualStop (Event 2): send the Cease for `reason` if a session is open, close, and stay Idle.
        case manualStop(SessionStopReason)
        /// AutomaticStart (Event 3): like ``manualStart``, but does not reset the connect-retry backoff.
        case automaticStart
        /// ManualStart_with_PassiveTcpEstablishment (Event 4): start by waiting for the peer to connect; connect
        /// only when the ConnectRetryTimer expires (never when the configuration is passive).
        case manualStartPassive
        /// AutomaticStart_with_PassiveTcpEstablishment (Event 5): as ``manualStartPassive``; the shell uses it for
        /// a machine that takes over an incoming connection.
        case automaticStartPassive
        /// AutomaticStop (Event 8): like ``manualStop(_:)``, then start again after the backoff delay (for BFD
        /// down, a configuration change that needs a new session, or the like).
        case automaticStop(SessionStopReason)
        /// ConnectRetryTimer_Expires, HoldTimer_Expires, KeepaliveTimer_Expires (Events 9 to 11), or lbd's timer.
        /// The expiry of a timer the machine has stopped since is ignored, so a cancel that loses the race with
        /// the timer firing does no harm.
        case timerExpired(Timer)
        /// Tcp_CR_Acked (Event 16): our outgoing connection completed.
        case tcpConnectionAcknowledged
        /// TcpConnectionConfirmed (Event 17): the shell accepted the peer's incoming connection for this machine.
        case tcpConnectionConfirmed
        /// TcpConnectionFails (Event 18): the connection attempt failed, or the connection closed or broke.
        case tcpConnectionFails
        /// A message arrived: BGPOpen (Event 19), NotifMsg (Events 24, 25), KeepAliveMsg (Event 26), UpdateMsg
        /// (Event 27), or ROUTE-REFRESH (RFC 2918).
        case messageReceived(BGPMessage)
        /// A message could not be decoded: BGPHeaderErr (Event 21), BGPOpenMsgErr (Event 22), UpdateMsgErr
        /// (Event 28); the error carries the NOTIFICATION to send or the RFC 7606 action.
        case decodeFailed(BGPDecodeError)
        /// OpenCollisionDump (Event 23): this connection lost a collision (``SessionCollisionResolver``).
        case openCollisionDump
        /// The shell sent one or more UPDATEs: the KeepaliveTimer restarts (RFC 4271 §8.2.2, Established: "each
        /// time the local system sends a KEEPALIVE or UPDATE message, it restarts its KeepaliveTimer"). One event
        /// per batch written is enough.
        case updateSent
    }

    /// What the shell must do, in the order given.
    public enum Action: Hashable, Sendable {
        /// Open the outgoing TCP connection to the peer; report ``Event/tcpConnectionAcknowledged`` or
        /// ``Event/tcpConnectionFails``.
        case connect
        /// Close this machine's connection after the messages sent before it are written (or abandon the pending
        /// outgoing connection attempt).
        case closeConnection
        /// Send a message on this machine's connection.
        case send(BGPMessage)
        /// Start the timer to fire after the duration, replacing it if it is running.
        case startTimer(Timer, Duration)
        /// Stop the timer.
        case stopTimer(Timer)
        /// The session is Established with these parameters: switch the codec to ``NegotiatedSession/codecOptions``
        /// and tell the announcer, which sends the full table then End-of-RIB.
        case established(NegotiatedSession)
        /// The session ended, or an attempt that had got as far as TCP failed; `wasEstablished` says whether the
        /// announcer had a session to forget.
        case sessionDown(SessionDownReason, wasEstablished: Bool)
        /// The peer sent an UPDATE (lbd ignores received routes but counts them).
        case deliverUpdate(UpdateMessage)
        /// The peer asked for our routes of a negotiated family again (RFC 2918 §4): resend the Adj-RIB-Out.
        case deliverRouteRefresh(RouteRefreshMessage)
        /// The peer sent an UPDATE with an error that RFC 7606 handles without a reset (treat-as-withdraw or
        /// attribute discard): nothing to do but count it, as lbd keeps no received routes.
        case ignoredMalformedUpdate(BGPDecodeError)
    }

    /// The configuration the machine was made with.
    public let configuration: SessionConfiguration
    /// The current state.
    public internal(set) var state: State = .idle
    /// The negotiated parameters, from the peer's valid OPEN until the session goes down.
    public internal(set) var negotiated: NegotiatedSession?
    /// How many attempts have failed since the last manual start (RFC 4271 §8.1.1 ConnectRetryCounter).
    public internal(set) var connectRetryCounter = 0
    /// The connect-retry delays.
    public internal(set) var backoff: ConnectRetryBackoff
    /// The timers the machine considers running.
    public internal(set) var runningTimers: Set<Timer> = []
    /// Whether the machine restarts by itself after a failure (false before a start and after a manual stop).
    var restartsAutomatically = false
    /// Whether a session has reached Established; from then on the graceful restart R bit is clear.
    var hasBeenEstablished = false

    /// Creates a machine in Idle.
    public init(configuration: SessionConfiguration) {
        self.configuration = configuration
        backoff = ConnectRetryBackoff(configuration.connectRetry)
    }

    /// The peer's BGP identifier, once its OPEN has been accepted (for ``SessionCollisionResolver``).
    public var peerIdentifier: IPv4Address? { negotiated?.peerIdentifier }

    /// Handles one event and returns what the shell must do, in order.
    public mutating func handle(_ event: Event) -> [Action] {
        if case .timerExpired(let timer) = event {
            guard runningTimers.remove(timer) != nil else { return [] }
        }
        switch state {
        case .idle: return handleInIdle(event)
        case .connect, .active: return handleWhileConnecting(event)
        case .openSent: return handleInOpenSent(event)
        case .openConfirm: return handleInOpenConfirm(event)
        case .established: return handleInEstablished(event)
        }
    }
}

