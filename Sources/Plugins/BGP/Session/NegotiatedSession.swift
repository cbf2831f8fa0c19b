public import LBKernel

/// What the two OPENs settled (RFC 4271 §4.2, RFC 5492): reported with
/// ``SessionStateMachine/Action/established(_:)`` and used by the announcer for the life of the session.
public struct NegotiatedSession: Hashable, Sendable {
    /// The peer's AS (the 4-octet one when it sent the capability, RFC 6793 §4.1).
    public var peerAS: UInt32
    /// The AS we presented.
    public var localAS: UInt32
    /// The peer's BGP identifier (router ID).
    public var peerIdentifier: IPv4Address
    /// Whether the peer is in our AS (iBGP: LOCAL_PREF is sent, RFC 4271 §5.1.5).
    public var isInternal: Bool
    /// The families both sides announced, sorted; IPv4 unicast when the peer sent no multiprotocol capability at all
    /// (RFC 4760 §8, RFC 4271 without extensions carries only IPv4 unicast).
    public var families: [AddressFamily]
    /// Whether both sides announced 4-octet AS numbers (RFC 6793 §4).
    public var fourOctetAS: Bool
    /// Whether both sides announced extended messages (RFC 8654 §3).
    public var extendedMessages: Bool
    /// Whether the peer announced route refresh (RFC 2918 §2), so we may ask it for its routes again.
    public var peerRouteRefresh: Bool
    /// The peer's graceful restart capability (RFC 4724 §3), or nil when it sent none.
    ///
    /// When present the peer acts as a receiving speaker: it keeps our routes, marked stale, across our restart until
    /// our End-of-RIB or its restart timer (RFC 4724 §4.2). Its `restarting` bit says the peer itself restarted.
    public var peerGracefulRestart: GracefulRestartCapability?
    /// Whether our OPEN carried the graceful restart capability with the R bit set: the peer may hold stale routes of
    /// ours, which it deletes once our End-of-RIB arrives for any family we no longer announce them in.
    public var localRestarting: Bool
    /// The hold time in seconds: the smaller of both proposals (RFC 4271 §4.2); 0 means no hold timer and no
    /// keepalives.
    public var holdTime: UInt16
    /// The keepalive interval in seconds; 0 when the hold time is 0.
    public var keepaliveTime: UInt16
    /// The families to send an End-of-RIB marker for (``UpdateMessage/endOfRIB(_:)``) once the initial table has
    /// been sent: every negotiated family, to every peer.
    ///
    /// RFC 4724 §2 asks for the marker after the initial update for every family, to peers that announced graceful
    /// restart; it also calls the marker useful for convergence in general. The marker is an ordinary UPDATE (empty,
    /// or an empty MP_UNREACH_NLRI of a negotiated family), so a peer without the capability parses it and ignores
    /// it; BIRD, FRR and GoBGP all accept it. Sending it to all peers keeps one code path.
    public var endOfRIBFamilies: [AddressFamily]
    /// The peer's OPEN as received.
    public var peerOpen: OpenMessage

    /// Creates the record.
    public init(peerAS: UInt32, localAS: UInt32, peerIdentifier: IPv4Address, isInternal: Bool,
                families: [AddressFamily], fourOctetAS: Bool, extendedMessages: Bool, peerRouteRefresh: Bool,
                peerGracefulRestart: GracefulRestartCapability?, localRestarting: Bool, holdTime: UInt16,
                keepaliveTime: UInt16, endOfRIBFamilies: [AddressFamily], peerOpen: OpenMessage) {
        self.peerAS = peerAS
        self.localAS = localAS
        self.peerIdentifier = peerIdentifier
        self.isInternal = isInternal
        self.families = families
        self.fourOctetAS = fourOctetAS
        self.extendedMessages = extendedMessages
        self.peerRouteRefresh = peerRouteRefresh
        self.peerGracefulRestart = peerGracefulRestart
        self.localRestarting = localRestarting
        self.holdTime = holdTime
        self.keepaliveTime = keepaliveTime
        self.endOfRIBFamilies = endOfRIBFamilies
        self.peerOpen = peerOpen
    }

    /// The codec settings for this session's messages.
    public var codecOptions: BGPCodecOptions {
        BGPCodecOptions(fourOctetAS: fourOctetAS,
                        maxMessageSize: extendedMessages ? BGPCodecOptions.extendedMaxMessageSize
                                                         : BGPCodecOptions.standardMaxMessageSize)
    }

    /// Whether the peer may be holding stale routes of ours from before our restart (we sent the R bit and it
    /// announced graceful restart, RFC 4724 §4.2): it keeps them until our End-of-RIB for the family, so the
    /// announcer should send the full table and the End-of-RIB markers without delay.
    public var peerMayHoldStaleRoutes: Bool { localRestarting && peerGracefulRestart != nil }

    /// The hold time as a duration, or nil when there is no hold timer.
    public var holdDuration: Duration? { holdTime == 0 ? nil : .seconds(holdTime) }

    /// The keepalive interval as a duration, or nil when no keepalives are sent.
    public var keepaliveDuration: Duration? { keepaliveTime == 0 ? nil : .seconds(keepaliveTime) }
}
