/// The state of a BFD session, as carried in the Sta field of a Control packet (RFC 5880 §4.1, §6.2).
public enum BFDState: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The session is held down by an administrator (0).
    case adminDown = 0
    /// The session is down or has just been created (1).
    case down = 1
    /// The remote system is talking to us but has not yet seen us (2, "Init" in the RFC).
    case initializing = 2
    /// Both systems see each other: the path works (3).
    case up = 3

    /// The RFC's name for the state (`AdminDown`, `Down`, `Init`, `Up`).
    public var description: String {
        switch self {
        case .adminDown: "AdminDown"
        case .down: "Down"
        case .initializing: "Init"
        case .up: "Up"
        }
    }
}
