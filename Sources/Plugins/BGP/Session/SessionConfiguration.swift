public import LBKernel

/// What one BGP session needs to know before it starts: who we are, who the peer must be, the timers we propose and
/// the capabilities we send.
///
/// Build one from a ``LBKernel/BGPPeer`` with ``init(peer:routerID:families:)``, or field by field in tests. The
/// state machine never reads a clock: every duration here goes out in a
/// ``SessionStateMachine/Action/startTimer(_:_:)``.
public struct SessionConfiguration: Hashable, Sendable {
    /// The AS number we present in OPEN (BGPPeer's `localASN`, else `myASN`).
    public var localAS: UInt32
    /// The AS the peer must present.
    public var peerAS: PeerAS
    /// Our BGP identifier (router ID); nonzero (RFC 6286 §2.1).
    public var localIdentifier: IPv4Address
    /// The hold time we propose, in seconds: 0 (no keepalives, no hold timer) or at least 3 (RFC 4271 §4.2).
    /// 1 and 2 are raised to 3.
    public var holdTime: UInt16
    /// The keepalive interval we want, in seconds, or nil for a third of the negotiated hold time.
    ///
    /// It is used only while it stays below a third of the negotiated hold time, which is the most RFC 4271 §4.4
    /// allows; otherwise the keepalive is a third of the hold time (FRR does the same).
    public var keepaliveTime: UInt16?
    /// Whether we only wait for the peer to connect and never connect ourselves.
    public var passive: Bool
    /// The families this session carries (IPv4 and/or IPv6 unicast); one multiprotocol capability each (RFC 4760 §8).
    public var families: [AddressFamily]
    /// Graceful restart (RFC 4724), or nil to leave the capability out.
    public var gracefulRestart: GracefulRestart?
    /// Whether we announce the extended message capability (RFC 8654).
    public var extendedMessages: Bool
    /// The delays between connection attempts: exponential with a cap and jitter.
    public var connectRetry: ConnectRetryBackoff.Configuration
    /// How long the session must stay Established before the connect-retry backoff starts again from its initial
    /// delay.
    public var backoffResetAfter: Duration
    /// The hold timer while we wait for the peer's OPEN: "a large value", 4 minutes suggested (RFC 4271 §8.2.2).
    public var openSentHoldTime: Duration

    /// The AS numbers the peer may present.
    public enum PeerAS: Hashable, Sendable {
        /// Exactly this AS.
        case exactly(UInt32)
        /// Any AS equal to ours (iBGP, MetalLB's `dynamicASN: internal`).
        case `internal`
        /// Any AS other than ours (eBGP, MetalLB's `dynamicASN: external`).
        case external
    }

    /// Our graceful restart capability (RFC 4724 §3).
    public struct GracefulRestart: Hashable, Sendable {
        /// How long the peer should keep our routes after the connection drops, in seconds (at most 4095).
        public var restartTime: UInt16
        /// Whether this speaker has just restarted: the R bit is set in the OPENs sent until a session reaches
        /// Established once, and cleared after (RFC 4724 §3 "Restart State").
        public var restarting: Bool
        /// The F bit we send for every family (RFC 4724 §3 "Forwarding State").
        ///
        /// lbd installs nothing it learns from the peer and forwards nothing itself: the routes it announces are the
        /// node's own service addresses, which the node keeps serving while lbd restarts. So forwarding to them is
        /// preserved across an lbd restart, and the bit says so (true by default). RFC 4724 §4.2 makes it matter:
        /// a peer that sees F=0 after our restart deletes our stale routes at once instead of keeping them until our
        /// End-of-RIB, which is the whole point of graceful restart for lbd. Set it false to ask peers to flush.
        public var preservesForwardingState: Bool

        /// Creates the capability settings; 120 s is FRR's and BIRD's default restart time.
        public init(restartTime: UInt16 = 120, restarting: Bool = false, preservesForwardingState: Bool = true) {
            self.restartTime = min(restartTime, 4095)
            self.restarting = restarting
            self.preservesForwardingState = preservesForwardingState
        }
    }

    /// Creates a configuration; the defaults are MetalLB's native ones (hold 90 s, reconnect 1 s doubling to 2 min).
    public init(localAS: UInt32, peerAS: PeerAS, localIdentifier: IPv4Address, holdTime: UInt16 = 90,
                keepaliveTime: UInt16? = nil, passive: Bool = false, families: [AddressFamily] = [.ipv4Unicast],
                gracefulRestart: GracefulRestart? = nil, extendedMessages: Bool = false,
                connectRetry: ConnectRetryBackoff.Configuration = ConnectRetryBackoff.Configuration(),
                backoffResetAfter: Duration = .seconds(60), openSentHoldTime: Duration = .seconds(240)) {
        self.localAS = localAS
        self.peerAS = peerAS
        self.localIdentifier = localIdentifier
        self.holdTime = holdTime == 1 || holdTime == 2 ? 3 : holdTime
        self.keepaliveTime = keepaliveTime
        self.passive = passive
        self.families = families
        self.gracefulRestart = gracefulRestart
        self.extendedMessages = extendedMessages
        self.connectRetry = connectRetry
        self.backoffResetAfter = backoffResetAfter
        self.openSentHoldTime = openSentHoldTime
    }

    /// Creates the configuration of a session with `peer`, speaking as `routerID`.
    ///
    /// `families` defaults to the unicast family of the peer's address, or both with `dualStackAddressFamily`.
    /// Durations are rounded down to whole seconds (BGP timers are in seconds, RFC 4271 §4.2); the peer's
    /// `connectTime` becomes the initial connect-retry delay. `seed` feeds the backoff jitter.
    public init(peer: BGPPeer, routerID: IPv4Address, families: [AddressFamily]? = nil,
                gracefulRestarting: Bool = false, seed: UInt64 = 0) {
        func seconds(_ d: GoDuration) -> UInt16 { UInt16(clamping: d.nanoseconds / 1_000_000_000) }
        let peerAS: PeerAS = switch (peer.peerASN, peer.dynamicASN) {
        case (let asn?, _): .exactly(asn)
        case (nil, .internal?): .internal
        case (nil, _): .external
        }
        let defaultFamilies: [AddressFamily] = peer.dualStackAddressFamily
            ? [.ipv4Unicast, .ipv6Unicast]
            : [.unicast(peer.peerAddress?.family ?? .ipv4)]
        var retry = ConnectRetryBackoff.Configuration(seed: seed)
        if let connect = peer.connectTime, connect.nanoseconds > 0 {
            retry.initialDelay = .nanoseconds(connect.nanoseconds)
            retry.maximumDelay = max(retry.maximumDelay, retry.initialDelay)
        }
        // MetalLB: with only keepaliveTime set, the hold time is three times it.
        let hold: UInt16 = if let h = peer.holdTime { seconds(h) }
            else if let k = peer.keepaliveTime { seconds(k).multipliedReportingOverflow(by: 3).overflow
                ? UInt16.max : seconds(k) * 3 }
            else { 90 }
        self.init(localAS: peer.localASN ?? peer.myASN, peerAS: peerAS, localIdentifier: routerID, holdTime: hold,
                  keepaliveTime: peer.keepaliveTime.map(seconds), passive: peer.passive,
                  families: families ?? defaultFamilies,
                  gracefulRestart: peer.enableGracefulRestart ? GracefulRestart(restarting: gracefulRestarting) : nil,
                  connectRetry: retry)
    }
}
