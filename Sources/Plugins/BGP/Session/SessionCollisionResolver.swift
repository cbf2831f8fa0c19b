public import LBKernel

/// Decides which of two connections to the same peer to close when both are open at once (connection collision,
/// RFC 4271 §6.8, with RFC 6286 §2.3 for equal identifiers).
///
/// The shell runs one ``SessionStateMachine`` per connection: ours (outgoing) and the peer's (incoming). Whenever
/// either changes state it asks the resolver, and sends ``SessionStateMachine/Event/openCollisionDump`` to the
/// machine of the connection to close, which sends Cease subcode 7 and closes it. Both speakers apply the same rule,
/// so they close the same TCP connection.
public struct SessionCollisionResolver: Hashable, Sendable {
    /// Our BGP identifier.
    public var localIdentifier: IPv4Address
    /// The AS we present.
    public var localAS: UInt32

    /// Which connection: the one we initiated or the one the peer initiated.
    public enum Connection: Hashable, Sendable {
        /// The connection we opened.
        case outgoing
        /// The connection the peer opened.
        case incoming
    }

    /// The resolver's answer.
    public enum Decision: Hashable, Sendable {
        /// No collision (yet): one connection is not past TCP setup, or the peer's identifier is unknown.
        case keepBoth
        /// Close this connection, with Cease subcode 7.
        case close(Connection)
    }

    /// Creates a resolver for our identity.
    public init(localIdentifier: IPv4Address, localAS: UInt32) {
        self.localIdentifier = localIdentifier
        self.localAS = localAS
    }

    /// Decides between the two connections, given their states and the peer's identifier and AS once an OPEN on
    /// either connection has told them.
    ///
    /// - A connection still in Idle, Connect or Active does not collide.
    /// - An Established connection is kept and the other closed (RFC 4271 §6.8: "a connection collision with an
    ///   existing BGP connection that is in the Established state causes closing of the newly created connection").
    /// - Otherwise, once the peer's identifier is known, the connection initiated by the speaker with the higher
    ///   identifier survives: if ours is lower we close our outgoing connection, else the incoming one (§6.8 steps
    ///   1 to 3). With equal identifiers (possible between eBGP peers) the connection initiated by the speaker with
    ///   the larger AS survives (RFC 6286 §2.3).
    public func resolve(outgoing: SessionStateMachine.State, incoming: SessionStateMachine.State,
                        peerIdentifier: IPv4Address?, peerAS: UInt32?) -> Decision {
        let open: Set<SessionStateMachine.State> = [.openSent, .openConfirm, .established]
        guard open.contains(outgoing), open.contains(incoming) else { return .keepBoth }
        switch (outgoing == .established, incoming == .established) {
        case (true, false): return .close(.incoming)
        case (false, true): return .close(.outgoing)
        default: break
        }
        guard let peerIdentifier else { return .keepBoth }
        if localIdentifier != peerIdentifier {
            return localIdentifier < peerIdentifier ? .close(.outgoing) : .close(.incoming)
        }
        guard let peerAS else { return .keepBoth }
        return localAS < peerAS ? .close(.outgoing) : .close(.incoming)
    }

    /// Decides between two machines, taking the peer's identifier and AS from whichever has accepted an OPEN.
    public func resolve(outgoing: SessionStateMachine, incoming: SessionStateMachine) -> Decision {
        let session = outgoing.negotiated ?? incoming.negotiated
        return resolve(outgoing: outgoing.state, incoming: incoming.state,
                       peerIdentifier: session?.peerIdentifier, peerAS: session?.peerAS)
    }
}
