import LBKernel

extension PeerSession {
    /// Finds our link-local address towards an on-link IPv6 peer: the second next hop of an IPv6 route
    /// (RFC 2545 §3), which routers such as FRR need to install routes from a directly connected peer.
    enum LinkLocal {
        /// Our fe80::/10 address on the interface that holds `local`, when the session is IPv6 and `peer` is on
        /// that interface's subnet (or link-local itself); nil otherwise.
        static func onLink(local: IPAddress, peer: IPAddress) -> IPv6Address? {
            guard case .v6 = local, case .v6(let peerAddress) = peer,
                  let interface = InterfaceAddresses.holding(local) else { return nil }
            let onLink: Bool
            if isLinkLocal(peerAddress) {
                onLink = true
            } else if let mask = interface.netmask {
                onLink = local.value & mask.value == peer.value & mask.value
            } else {
                onLink = false
            }
            return onLink ? interface.ipv6LinkLocal.first : nil
        }

        /// Whether `address` is in fe80::/10.
        static func isLinkLocal(_ address: IPv6Address) -> Bool {
            address.value >> 118 == 0x3FA
        }
    }
}
