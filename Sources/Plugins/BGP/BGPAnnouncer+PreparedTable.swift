import LBKernel
import NIOCore

extension BGPAnnouncer {
    /// A peer's full table selected and encoded before its session is Established, for the session lbd expects:
    /// on Established the bytes go out at once instead of being computed then.
    ///
    /// The expectation: the local address the kernel routes from towards the peer (or `sourceAddress`), our link-local
    /// address on that link for an on-link IPv6 peer, the AS numbers of the configuration, the families offered,
    /// 4-octet AS numbers and 4096-octet messages (always valid, extended messages or not; RFC 8654 §4).
    struct PreparedTable: Sendable {
        /// The desired set's number it was prepared from.
        var version: UInt64
        /// The session facts it assumes.
        var view: PeerRoutes.Session
        /// The Adj-RIB-Out once the bytes are sent.
        var ribOut: AdjRIBOut
        /// The encoded UPDATEs.
        var bytes: ByteBuffer
        /// How many UPDATEs `bytes` holds.
        var messages: Int
        /// Prefixes held back, by reason.
        var notSent: [PeerRoutes.NotSentReason: Int]

        /// The options the bytes are encoded with.
        static let options = BGPCodecOptions(fourOctetAS: true, maxMessageSize: BGPCodecOptions.standardMaxMessageSize)

        /// Prepares the table of `desired` for the session `settings` should give; nil when the session cannot be
        /// predicted (no route to the peer, dual-stack, a dynamic peer AS).
        init?(version: UInt64, desired: DesiredSet, settings: PeerRunner.Settings) {
            let peer = settings.peer
            guard !peer.dualStackAddressFamily, let peerAddress = peer.peerAddress, let peerAS = peer.peerASN,
                  let local = peer.sourceAddress ?? LocalAddressProbe.source(towards: peerAddress) else { return nil }
            let localAS = peer.localASN ?? peer.myASN
            var view = PeerRoutes.Session(localAS: localAS, peerAS: peerAS, families: [.unicast(peerAddress.family)])
            switch local {
            case .v4(let address): view.ipv4NextHop = address
            case .v6(let address):
                view.ipv6NextHop = address
                view.ipv6LinkLocalNextHop = PeerSession.LinkLocal.onLink(local: local, peer: peerAddress)
            }
            let selection = PeerRoutes.select(desired, for: peer, session: view)
            var ribOut = AdjRIBOut()
            let changes = ribOut.fullTable(selection.table)
            var bytes = ByteBufferAllocator().buffer(capacity: max(4096, selection.table.count * 6))
            messages = changes.encode(options: Self.options, into: &bytes)
            self.version = version
            self.view = view
            self.ribOut = ribOut
            self.bytes = bytes
            self.notSent = selection.notSent
        }

        /// True when the Established session is the one this table was prepared for.
        func matches(_ info: PeerSession.Established, view actual: PeerRoutes.Session) -> Bool {
            info.negotiated.fourOctetAS && actual == view
        }
    }
}
