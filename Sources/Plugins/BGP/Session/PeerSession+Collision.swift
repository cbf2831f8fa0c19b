import Logging
import NIOCore
import Synchronization

// The collision procedure (RFC 4271 §6.8): where an incoming connection goes, the second machine for a connection
// that collides with ours, and the resolution that closes one of the two.
extension PeerSession.Driver {
    /// Gives a connection the listener handed over to the main machine, to a collision machine, or closes it.
    mutating func incoming(_ connection: BGPConnection) {
        session.shared.withLock { $0.statistics.incomingConnections += 1 }
        switch primary.machine.state {
        case .idle:
            reject(connection, "the session is stopped")
        case .connect, .active:
            if secondary != nil {
                reject(connection, "two connections are already opening")
            } else if primary.pendingConnect != nil {
                // Our own connection may already be up at the peer's end: keep both until the OPENs tell
                // which one both speakers keep (RFC 4271 §6.8); giving ours up here could close the very
                // connection the peer decides to keep.
                startCollisionMachine(for: connection)
            } else {
                primary.connection = connection
                primary.lastWrite = nil
                logger.debug("BGP peer \(name): \(connection)")
                feed(.primary, .tcpConnectionConfirmed)
            }
        case .openSent, .openConfirm:
            if secondary != nil {
                reject(connection, "two connections are already opening")
            } else if primary.connection?.direction == .incoming {
                // The peer gave up its first connection and opened another: follow it.
                logger.info("BGP peer \(name): the peer opened a new connection; dropping its earlier one")
                feed(.primary, .tcpConnectionFails)
                primary.connection = connection
                primary.lastWrite = nil
                feed(.primary, .tcpConnectionConfirmed)
            } else {
                startCollisionMachine(for: connection)
            }
        case .established:
            if primary.machine.negotiated?.peerGracefulRestart != nil {
                // RFC 4724 §4.2: a new connection from a graceful-restart peer means it restarted.
                log(.notice, "BGP peer \(name): the peer connected again while Established; it supports "
                    + "graceful restart, so it restarted: replacing the old session (RFC 4724 §4.2)")
                feed(.primary, .tcpConnectionFails)
                primary.connection = connection
                primary.lastWrite = nil
                feed(.primary, .tcpConnectionConfirmed)
            } else {
                reject(connection, "the session is Established (RFC 4271 §6.8 keeps the Established one)")
            }
        }
    }

    /// Runs the peer's connection on a machine of its own, next to ours (RFC 4271 §6.8).
    mutating func startCollisionMachine(for connection: BGPConnection) {
        lastMachineID += 1
        secondary = Slot(id: lastMachineID,
                         machine: SessionStateMachine(configuration: session.configuration.session),
                         connection: connection)
        log(.info, "BGP peer \(name): the peer connected while our connection is "
            + (primary.pendingConnect != nil ? "being opened" : "\(primary.machine.state)")
            + ": connection collision (RFC 4271 §6.8)")
        logger.debug("BGP peer \(name): \(connection)")
        feed(.secondary, .automaticStartPassive)
        feed(.secondary, .tcpConnectionConfirmed)
    }

    /// Closes an incoming connection with a Cease "connection rejected" (RFC 4486 §4).
    func reject(_ connection: BGPConnection, _ why: String) {
        session.shared.withLock { $0.statistics.incomingRejected += 1 }
        logger.notice("BGP peer \(name): closing \(connection): \(why)")
        let rejected = NotificationMessage(code: .cease,
                                           subcode: NotificationMessage.CeaseSubcode.connectionRejected.rawValue)
        connection.send(.notification(rejected), options: BGPCodecOptions()).whenComplete { _ in
            connection.close()
        }
    }

    /// Resolves collisions and drops a collision machine that lost its connection, until nothing changes.
    mutating func settle() {
        while let second = secondary {
            let open: Set<SessionStateMachine.State> = [.openSent, .openConfirm, .established]
            if !open.contains(second.machine.state) {
                discardSecondary()
                continue
            }
            if !open.contains(primary.machine.state) {
                // Our connection attempt is still going: wait for it, or for the collision connection to be
                // Established (the resolver then closes ours once it is up).
                if primary.pendingConnect != nil { return }
                // The main connection failed while the collision one is opening: it becomes the main one.
                logger.info("BGP peer \(name): continuing on the peer's connection")
                promoteSecondary()
                continue
            }
            switch resolver.resolve(outgoing: primary.machine, incoming: second.machine) {
            case .keepBoth:
                return
            case .close(.incoming):
                session.shared.withLock { $0.statistics.collisions += 1 }
                logger.info("BGP peer \(name): collision resolved: keeping our connection (RFC 4271 §6.8)")
                feed(.secondary, .openCollisionDump)
            case .close(.outgoing):
                session.shared.withLock { $0.statistics.collisions += 1 }
                log(.info, "BGP peer \(name): collision resolved: keeping the peer's connection "
                    + "(RFC 4271 §6.8)")
                feed(.primary, .openCollisionDump)
                promoteSecondary()
            }
        }
    }

    /// Drops the collision machine, its timers and its connection.
    mutating func discardSecondary() {
        guard let second = secondary else { return }
        timers.stopAll(machine: second.id)
        if let connection = second.connection {
            closeAfterWrites(connection, lastWrite: second.lastWrite)
        }
        secondary = nil
    }

    /// Makes the collision machine the main one, dropping the main one's timers and connection.
    mutating func promoteSecondary() {
        guard let second = secondary else { return }
        timers.stopAll(machine: primary.id)
        if let connection = primary.connection {
            closeAfterWrites(connection, lastWrite: primary.lastWrite)
        }
        primary = second
        secondary = nil
    }
}
