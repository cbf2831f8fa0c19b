import LBKernel

/// The transitions of RFC 4271 §8.2.2, one function per state (Connect and Active share one).
extension SessionStateMachine {
    /// Idle (RFC 4271 §8.2.2): only the start events do anything.
    mutating func handleInIdle(_ event: Event) -> [Action] {
        switch event {
        case .manualStart, .automaticStart, .manualStartPassive, .automaticStartPassive:
            if event == .manualStart || event == .manualStartPassive {
                connectRetryCounter = 0
                backoff = ConnectRetryBackoff(configuration.connectRetry)
            }
            restartsAutomatically = true
            if configuration.passive { state = .active; return [] }
            let delay = backoff.nextDelay()
            if event == .manualStartPassive || event == .automaticStartPassive {
                state = .active
                return [start(.connectRetry, delay)]
            }
            state = .connect
            return [start(.connectRetry, delay), .connect]
        case .manualStop:
            restartsAutomatically = false
            return []
        default:
            return []
        }
    }

    /// Connect and Active (RFC 4271 §8.2.2): no BGP message can arrive yet.
    mutating func handleWhileConnecting(_ event: Event) -> [Action] {
        switch event {
        case .manualStop:
            restartsAutomatically = false
            let actions: [Action] = (state == .connect ? [.closeConnection] : []) + stopAllTimers()
            state = .idle
            return actions
        case .automaticStop:
            connectRetryCounter += 1
            let actions: [Action] = (state == .connect ? [.closeConnection] : []) + stopAllTimers()
            state = .idle
            return actions + restartAfterFailure()
        case .timerExpired(.connectRetry):
            guard !configuration.passive else { return [] }
            // Connect: the attempt took too long (abandon it); Active: the wait is over. Either way, try again.
            let abandon: [Action] = state == .connect ? [.closeConnection] : []
            if state == .connect { connectRetryCounter += 1 }
            state = .connect
            return abandon + [start(.connectRetry, backoff.nextDelay()), .connect]
        case .tcpConnectionAcknowledged, .tcpConnectionConfirmed:
            state = .openSent
            return stop(.connectRetry) + [.send(.open(openMessage())), start(.hold, configuration.openSentHoldTime)]
        case .tcpConnectionFails:
            // Wait in Active for the ConnectRetryTimer already running (see the type's note on deviations).
            if state == .connect { connectRetryCounter += 1 }
            state = .active
            return []
        default:
            return []
        }
    }

    /// OpenSent (RFC 4271 §8.2.2): waiting for the peer's OPEN.
    mutating func handleInOpenSent(_ event: Event) -> [Action] {
        switch event {
        case .messageReceived(.open(let open)):
            if let rejection = validate(open) {
                return fail(.openRejected(rejection), sending: rejection.notification)
            }
            let session = negotiate(with: open)
            negotiated = session
            state = .openConfirm
            var actions: [Action] = [.send(.keepalive)]
            if let hold = session.holdDuration, let keepalive = session.keepaliveDuration {
                actions += [start(.hold, hold), start(.keepalive, keepalive)]
            } else {
                actions += stop(.hold)
            }
            return actions
        default:
            return handleInAnyOpenState(event)
        }
    }

    /// OpenConfirm (RFC 4271 §8.2.2): waiting for the peer's KEEPALIVE.
    mutating func handleInOpenConfirm(_ event: Event) -> [Action] {
        switch event {
        case .messageReceived(.keepalive):
            guard let session = negotiated else { preconditionFailure("OpenConfirm without a negotiated session") }
            state = .established
            hasBeenEstablished = true
            var actions: [Action] = []
            if let hold = session.holdDuration { actions.append(start(.hold, hold)) }
            actions.append(start(.backoffReset, configuration.backoffResetAfter))
            actions.append(.established(session))
            return actions
        default:
            return handleInAnyOpenState(event)
        }
    }

    /// Established (RFC 4271 §8.2.2): UPDATEs flow both ways.
    mutating func handleInEstablished(_ event: Event) -> [Action] {
        switch event {
        case .messageReceived(.keepalive):
            return restartHoldTimer()
        case .messageReceived(.update(let update)):
            return restartHoldTimer() + [.deliverUpdate(update)]
        case .messageReceived(.routeRefresh(let refresh)):
            // RFC 2918 §4: ignore a family we did not negotiate; RFC 7313 §4: BoRR/EoRR (subtypes 1, 2) mark the
            // peer's own refresh, and other subtypes are ignored.
            guard refresh.subtype == 0, negotiated?.families.contains(refresh.family) == true else {
                return restartHoldTimer()
            }
            return restartHoldTimer() + [.deliverRouteRefresh(refresh)]
        case .decodeFailed(let error):
            switch error.action {
            case .sendNotification(let notification):
                return fail(.malformedMessage(error), sending: notification)
            case .treatAsWithdraw, .attributeDiscard:
                return restartHoldTimer() + [.ignoredMalformedUpdate(error)]
            }
        case .updateSent:
            guard let keepalive = negotiated?.keepaliveDuration, runningTimers.contains(.keepalive) else { return [] }
            return [start(.keepalive, keepalive)]
        case .timerExpired(.backoffReset):
            backoff.reset()
            connectRetryCounter = 0
            return []
        default:
            return handleInAnyOpenState(event)
        }
    }

    /// The events OpenSent, OpenConfirm and Established treat alike: stops, timers, failures, NOTIFICATIONs, and
    /// anything unexpected (an FSM error, RFC 4271 §6.6).
    mutating func handleInAnyOpenState(_ event: Event) -> [Action] {
        switch event {
        case .manualStop(let reason):
            restartsAutomatically = false
            return fail(.stopped(reason), sending: reason.notification(peerSupportsGracefulRestart: gracefulPeer))
        case .automaticStop(let reason):
            return fail(.stopped(reason), sending: reason.notification(peerSupportsGracefulRestart: gracefulPeer))
        case .timerExpired(.hold):
            return fail(.holdTimerExpired, sending: NotificationMessage(code: .holdTimerExpired))
        case .timerExpired(.keepalive):
            guard let keepalive = negotiated?.keepaliveDuration else { return [] }
            return [.send(.keepalive), start(.keepalive, keepalive)]
        case .tcpConnectionFails:
            return fail(.connectionLost, sending: nil)
        case .messageReceived(.notification(let notification)):
            return fail(.notificationReceived(notification), sending: nil)
        case .messageReceived(let message):
            return fail(.unexpectedMessage(message.kind, in: state),
                        sending: unexpectedMessageNotification(message.kind))
        case .decodeFailed(let error):
            switch error.action {
            case .sendNotification(let notification):
                return fail(.malformedMessage(error), sending: notification)
            case .treatAsWithdraw, .attributeDiscard:
                // Only an UPDATE gets these, and an UPDATE is unexpected before Established.
                return fail(.unexpectedMessage(.update, in: state), sending: unexpectedMessageNotification(.update))
            }
        case .openCollisionDump:
            restartsAutomatically = false
            return fail(.collisionLost, sending: .cease(.connectionCollisionResolution))
        case .manualStart, .automaticStart, .manualStartPassive, .automaticStartPassive,
             .tcpConnectionAcknowledged, .tcpConnectionConfirmed, .updateSent, .timerExpired:
            // Starts are ignored once started (RFC 4271 §8.2.2); a second connection is the collision procedure's
            // business (§6.8), tracked by the shell with another machine.
            return []
        }
    }

    /// NOTIFICATION code 5 with the RFC 6608 §3 subcode of the state and the message type as data.
    func unexpectedMessageNotification(_ kind: BGPMessage.Kind) -> NotificationMessage {
        let subcode: UInt8 = switch state {
        case .openSent: 1
        case .openConfirm: 2
        case .established: 3
        default: 0
        }
        return NotificationMessage(code: .finiteStateMachine, subcode: subcode, data: [kind.rawValue])
    }

    /// Whether we and the peer both announced graceful restart.
    private var gracefulPeer: Bool {
        configuration.gracefulRestart != nil && negotiated?.peerGracefulRestart != nil
    }

    /// Ends the session: sends `notification` (if any), closes, stops the timers, reports the session down and drops
    /// to Idle, then starts again unless stopped manually.
    private mutating func fail(_ reason: SessionDownReason, sending notification: NotificationMessage?) -> [Action] {
        let wasEstablished = state == .established
        var actions: [Action] = notification.map { [.send(.notification($0))] } ?? []
        actions.append(.closeConnection)
        actions += stopAllTimers()
        actions.append(.sessionDown(reason, wasEstablished: wasEstablished))
        state = .idle
        negotiated = nil
        connectRetryCounter += 1
        return actions + restartAfterFailure()
    }

    /// The machine's own AutomaticStart_with_PassiveTcpEstablishment after a failure: wait in Active for the backoff
    /// delay (or for good, when passive).
    private mutating func restartAfterFailure() -> [Action] {
        guard restartsAutomatically else { return [] }
        state = .active
        if configuration.passive { return [] }
        return [start(.connectRetry, backoff.repeatDelay())]
    }
}
