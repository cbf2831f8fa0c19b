import LBKernel

extension SessionStateMachine {
    /// Our OPEN (RFC 4271 §4.2): the AS we present (the codec writes AS_TRANS in the 2-octet field when it does not
    /// fit, RFC 6793 §4.1), the hold time we propose, our identifier, and our capabilities in a fixed order:
    /// multiprotocol for each family (RFC 4760 §8), route refresh (RFC 2918 §2), 4-octet AS (RFC 6793 §3), graceful
    /// restart when configured (RFC 4724 §3), extended message when configured (RFC 8654 §3).
    ///
    /// The graceful restart capability lists every family with the configured F bit; the R bit is set while
    /// ``SessionConfiguration/GracefulRestart/restarting`` holds and no session of this machine has reached
    /// Established yet. The N bit (RFC 8538) is not sent.
    func openMessage() -> OpenMessage {
        var capabilities: [Capability] = configuration.families.map { .multiprotocol($0) }
        capabilities.append(.routeRefresh)
        capabilities.append(.fourOctetAS(configuration.localAS))
        if let gracefulRestart = configuration.gracefulRestart {
            capabilities.append(.gracefulRestart(GracefulRestartCapability(
                restarting: localRestarting, restartTime: gracefulRestart.restartTime,
                families: configuration.families.map {
                    GracefulRestartCapability.Family(family: $0,
                                                     forwardingPreserved: gracefulRestart.preservesForwardingState)
                })))
        }
        if configuration.extendedMessages { capabilities.append(.extendedMessage) }
        return OpenMessage(myAS: configuration.localAS, holdTime: configuration.holdTime,
                           bgpIdentifier: configuration.localIdentifier, capabilities: capabilities)
    }

    /// Whether our OPEN carries the R bit (RFC 4724 §3).
    var localRestarting: Bool { configuration.gracefulRestart?.restarting == true && !hasBeenEstablished }

    /// What our configuration and the peer's (valid) OPEN settle.
    func negotiate(with open: OpenMessage) -> NegotiatedSession {
        let peerAS = Self.announcedAS(open)
        let families = Self.commonFamilies(ours: configuration.families, open: open)
        let timers = Self.negotiateTimers(localHold: configuration.holdTime, peerHold: open.holdTime,
                                          keepalive: configuration.keepaliveTime)
        var peerFourOctet = false, peerRouteRefresh = false, peerExtended = false
        var peerGracefulRestart: GracefulRestartCapability?
        for capability in open.capabilities {
            switch capability {
            case .fourOctetAS: peerFourOctet = true
            case .routeRefresh: peerRouteRefresh = true
            case .extendedMessage: peerExtended = true
            case .gracefulRestart(let gr): peerGracefulRestart = gr
            case .multiprotocol, .unknown: break
            }
        }
        return NegotiatedSession(
            peerAS: peerAS, localAS: configuration.localAS, peerIdentifier: open.bgpIdentifier,
            isInternal: peerAS == configuration.localAS, families: families,
            fourOctetAS: peerFourOctet, extendedMessages: peerExtended && configuration.extendedMessages,
            peerRouteRefresh: peerRouteRefresh, peerGracefulRestart: peerGracefulRestart,
            localRestarting: localRestarting, holdTime: timers.hold, keepaliveTime: timers.keepalive,
            endOfRIBFamilies: families, peerOpen: open)
    }
}
