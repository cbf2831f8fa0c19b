import LBKernel
import NIOCore

extension PeerSession {
    /// Finds our link-local address towards an on-link IPv6 peer: the second next hop of an IPv6 route
    /// (RFC 2545 §3), which routers such as FRR need to install routes from a directly connected peer.
    enum LinkLocal {
        /// Our fe80::/10 address on the interface that holds `local`, when the session is IPv6 and `peer` is on
        /// that interface's subnet (or link-local itself); nil otherwise.
        static func onLink(local: IPAddress, peer: IPAddress) -> IPv6Address? {
            guard case .v6 = local, case .v6(let peerAddress) = peer,
                  let devices = try? System.enumerateDevices() else { return nil }
            let addressed = devices.compactMap { device -> (name: String, address: IPAddress, mask: IPAddress?)? in
                guard let address = device.address.flatMap(IPAddress.init) else { return nil }
                return (device.name, address, device.netmask.flatMap(IPAddress.init))
            }
            guard let own = addressed.first(where: { $0.address == local }) else { return nil }
            let onLink: Bool
            if isLinkLocal(peerAddress) {
                onLink = true
            } else if let mask = own.mask {
                onLink = local.value & mask.value == peer.value & mask.value
            } else {
                onLink = false
            }
            guard onLink else { return nil }
            for candidate in addressed where candidate.name == own.name {
                if case .v6(let address) = candidate.address, isLinkLocal(address) { return address }
            }
            return nil
        }

        /// Whether `address` is in fe80::/10.
        static func isLinkLocal(_ address: IPv6Address) -> Bool {
            address.value >> 118 == 0x3FA
        }
    }
}
