public import LBKernel

/// Why a session (or an attempt that got as far as TCP) ended: reported with
/// ``SessionStateMachine/Action/sessionDown(_:wasEstablished:)``.
public enum SessionDownReason: Hashable, Sendable, CustomStringConvertible {
    /// We stopped it (``SessionStateMachine/Event/manualStop(_:)`` or ``SessionStateMachine/Event/automaticStop(_:)``).
    case stopped(SessionStopReason)
    /// No KEEPALIVE or UPDATE arrived within the hold time; we sent NOTIFICATION code 4 (RFC 4271 §6.5).
    case holdTimerExpired
    /// The TCP connection failed or the peer closed it without a NOTIFICATION.
    case connectionLost
    /// The peer sent this NOTIFICATION.
    case notificationReceived(NotificationMessage)
    /// A message could not be decoded; we sent the error's NOTIFICATION (RFC 4271 §6.1 to §6.3).
    case malformedMessage(BGPDecodeError)
    /// The peer's OPEN was unacceptable; we sent ``OpenRejection/notification``.
    case openRejected(OpenRejection)
    /// A message arrived that the state does not allow; we sent NOTIFICATION code 5 (RFC 4271 §6.6, RFC 6608 §4).
    case unexpectedMessage(BGPMessage.Kind, in: SessionStateMachine.State)
    /// This connection lost a collision with another one to the same peer; we sent Cease subcode 7 (RFC 4271 §6.8).
    case collisionLost

    /// The reason in words, for logs.
    public var description: String {
        switch self {
        case .stopped(let reason): "stopped: \(reason)"
        case .holdTimerExpired: "hold timer expired"
        case .connectionLost: "TCP connection lost"
        case .notificationReceived(let n): "peer sent \(n)"
        case .malformedMessage(let error): "malformed message: \(error)"
        case .openRejected(let rejection): "peer's OPEN rejected: \(rejection)"
        case .unexpectedMessage(let kind, let state): "unexpected \(kind) message in state \(state)"
        case .collisionLost: "connection collision lost (RFC 4271 §6.8)"
        }
    }
}

/// Why we refused the peer's OPEN (RFC 4271 §6.2).
public enum OpenRejection: Hashable, Sendable, CustomStringConvertible {
    /// The version is not 4.
    case unsupportedVersion(UInt8)
    /// The AS is not the one configured (or not internal/external as configured).
    case badPeerAS(UInt32)
    /// The BGP identifier is zero, or equal to ours on an iBGP session (RFC 6286 §2.2).
    case badBGPIdentifier(IPv4Address)
    /// The hold time is 1 or 2 seconds.
    case unacceptableHoldTime(UInt16)
    /// The peer announced none of the families this session carries; the data lists our multiprotocol
    /// capabilities (RFC 5492 §5).
    case noCommonFamily(offered: [AddressFamily])

    /// The NOTIFICATION we send for it (RFC 4271 §6.2).
    public var notification: NotificationMessage {
        switch self {
        case .unsupportedVersion:
            // The data is the largest version we support below the peer's, or our smallest: 4 either way.
            NotificationMessage(code: .openMessage,
                                subcode: NotificationMessage.OpenSubcode.unsupportedVersionNumber.rawValue,
                                data: [0, 4])
        case .badPeerAS:
            NotificationMessage(code: .openMessage, subcode: NotificationMessage.OpenSubcode.badPeerAS.rawValue)
        case .badBGPIdentifier:
            NotificationMessage(code: .openMessage,
                                subcode: NotificationMessage.OpenSubcode.badBGPIdentifier.rawValue)
        case .unacceptableHoldTime:
            NotificationMessage(code: .openMessage,
                                subcode: NotificationMessage.OpenSubcode.unacceptableHoldTime.rawValue)
        case .noCommonFamily(let offered):
            // Each capability as it is on the wire: code 1, length 4, AFI, reserved, SAFI (RFC 4760 §8).
            NotificationMessage(code: .openMessage,
                                subcode: NotificationMessage.OpenSubcode.unsupportedCapability.rawValue,
                                data: offered.flatMap { [1, 4, UInt8($0.afi >> 8), UInt8($0.afi & 0xFF), 0, $0.safi] })
        }
    }

    /// The rejection in words, for logs.
    public var description: String {
        switch self {
        case .unsupportedVersion(let v): "version \(v), only 4 is supported"
        case .badPeerAS(let asn): "AS \(asn) is not the configured peer AS"
        case .badBGPIdentifier(let id): "BGP identifier \(id) is zero or equal to ours on an iBGP session"
        case .unacceptableHoldTime(let t): "hold time \(t) s (must be 0 or at least 3)"
        case .noCommonFamily(let offered):
            "the peer announced none of \(offered.map(\.description).joined(separator: ", "))"
        }
    }
}

/// Why we stop a session, which says which Cease NOTIFICATION goes out (RFC 4486 §4).
public enum SessionStopReason: Hashable, Sendable, CustomStringConvertible {
    /// The operator shut the session down (Cease subcode 2), with an optional shutdown communication
    /// (RFC 9003, which obsoletes RFC 8203): UTF-8, cut to 255 octets.
    case administrativeShutdown(message: String?)
    /// The operator reset the session (Cease subcode 4), with an optional shutdown communication (RFC 9003).
    case administrativeReset(message: String?)
    /// The peer was removed from the configuration (Cease subcode 3).
    case peerDeconfigured
    /// The session's configuration changed (Cease subcode 6).
    case configurationChanged
    /// BFD declared the path down (Cease subcode 10, RFC 9384).
    case bfdDown
    /// lbd is restarting with graceful restart: when the peer announced graceful restart, the connection is closed
    /// without a NOTIFICATION so that the peer keeps our routes (RFC 4724 §4.2 covers a TCP reset, not a Cease);
    /// otherwise Cease subcode 2 is sent as for a shutdown.
    case gracefulRestart

    /// The Cease subcode of RFC 9384 for BFD down (not in ``NotificationMessage/CeaseSubcode``).
    public static let bfdDownCeaseSubcode: UInt8 = 10

    /// The NOTIFICATION this stop sends, given whether the peer announced graceful restart; nil to close silently.
    public func notification(peerSupportsGracefulRestart: Bool) -> NotificationMessage? {
        switch self {
        case .administrativeShutdown(let message):
            .cease(.administrativeShutdown, communication: message ?? "")
        case .administrativeReset(let message):
            .cease(.administrativeReset, communication: message ?? "")
        case .peerDeconfigured:
            .cease(.peerDeconfigured)
        case .configurationChanged:
            .cease(.otherConfigurationChange)
        case .bfdDown:
            NotificationMessage(code: .cease, subcode: Self.bfdDownCeaseSubcode)
        case .gracefulRestart:
            peerSupportsGracefulRestart ? nil : .cease(.administrativeShutdown)
        }
    }

    /// The reason in words, for logs.
    public var description: String {
        switch self {
        case .administrativeShutdown(let m): "administrative shutdown" + (m.map { ": \($0)" } ?? "")
        case .administrativeReset(let m): "administrative reset" + (m.map { ": \($0)" } ?? "")
        case .peerDeconfigured: "peer deconfigured"
        case .configurationChanged: "configuration changed"
        case .bfdDown: "BFD down"
        case .gracefulRestart: "graceful restart"
        }
    }
}
