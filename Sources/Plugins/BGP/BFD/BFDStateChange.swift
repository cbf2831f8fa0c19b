/// A BFD session's change of state, as reported to its client (the BGP session).
public struct BFDStateChange: Hashable, Sendable, CustomStringConvertible {
    /// The state the session left.
    public var previousState: BFDState
    /// The state the session entered.
    public var state: BFDState
    /// Why: our bfd.LocalDiag after the change (for example Control Detection Time Expired).
    public var diagnostic: BFDDiagnostic
    /// The peer's last reported state when the change happened.
    public var remoteState: BFDState

    /// Creates a change.
    public init(previousState: BFDState, state: BFDState, diagnostic: BFDDiagnostic, remoteState: BFDState) {
        self.previousState = previousState
        self.state = state
        self.diagnostic = diagnostic
        self.remoteState = remoteState
    }

    /// True when the forwarding path is to be considered failed: the session went from Up to Down, and not because
    /// the peer signalled AdminDown (RFC 5882 §3.2: a client must not treat an administrative shutdown as a path
    /// failure). A BGP session tears down at once when this is true.
    public var isPathFailure: Bool {
        previousState == .up && state == .down && remoteState != .adminDown
    }

    /// `Up -> Down (Control Detection Time Expired)`.
    public var description: String { "\(previousState) -> \(state) (\(diagnostic))" }
}
