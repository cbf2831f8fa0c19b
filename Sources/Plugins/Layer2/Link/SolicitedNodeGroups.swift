import CPcap
import Glibc
public import LBKernel
import Synchronization

/// Keeps this host joined to the IPv6 multicast groups it must listen on, per interface: the solicited-node groups
/// of the addresses it answers for.
///
/// Without the joins, a switch or bridge that snoops MLD forwards no Neighbor Solicitations for those addresses to
/// this host. A join is `IPV6_ADD_MEMBERSHIP` with the interface index on one `AF_INET6` datagram socket per
/// interface, after which the kernel sends the MLD reports (RFC 3810) and answers queries; closing the socket leaves
/// every group it joined. Sockets belong to the network namespace of the thread that first sets groups on an
/// interface. Safe from any thread.
public final class SolicitedNodeGroups: Sendable {
    private struct Membership {
        var socket: Int32
        var index: Int32
        var groups: Set<IPv6Address>
    }

    private let memberships = Mutex<[String: Membership]>([:])

    /// Creates an empty set of memberships.
    public init() {}

    deinit { leaveAll() }

    /// Makes `groups` the exact set joined on `interface`: joins the new ones, leaves the ones no longer wanted.
    ///
    /// Joining a group that is already joined does nothing. An empty set leaves every group and closes the
    /// interface's socket. When `index` differs from the one used before (the interface was recreated), the old
    /// memberships are dropped first. On failure every other group is still handled; the error names each group that
    /// failed, the interface and the system's reason, and the groups that failed to join are not recorded as joined
    /// (the next call retries them).
    public func set(_ groups: Set<IPv6Address>, on interface: String, index: Int32) throws(LinkError) {
        try memberships.withLock { (memberships: inout [String: Membership]) throws(LinkError) in
            if let current = memberships[interface], current.index != index || groups.isEmpty {
                Glibc.close(current.socket)
                memberships[interface] = nil
            }
            guard !groups.isEmpty else { return }
            var membership: Membership
            if let current = memberships[interface] {
                membership = current
            } else {
                let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else {
                    throw LinkError(.socket, interface: interface, message: "socket(AF_INET6) for multicast joins: "
                        + String(cString: strerror(errno)))
                }
                membership = Membership(socket: fd, index: index, groups: [])
            }
            var failures: [String] = []
            for group in membership.groups.subtracting(groups).sorted() {
                if let reason = Self.change(IPV6_DROP_MEMBERSHIP, group, socket: membership.socket, index: index) {
                    failures.append("leave \(group): \(reason)")
                }
                // A group that cannot be left (the interface vanished) is not joined either: forget it.
                membership.groups.remove(group)
            }
            for group in groups.subtracting(membership.groups).sorted() {
                if let reason = Self.change(IPV6_ADD_MEMBERSHIP, group, socket: membership.socket, index: index) {
                    failures.append("join \(group): \(reason)")
                } else {
                    membership.groups.insert(group)
                }
            }
            memberships[interface] = membership
            if !failures.isEmpty {
                let code: LinkError.Code = failures.contains { $0.hasPrefix("join") } ? .join : .leave
                throw LinkError(code, interface: interface, message: "multicast membership (index \(index)): "
                    + failures.joined(separator: "; "))
            }
        }
    }

    /// The groups currently joined on `interface`.
    public func groups(on interface: String) -> Set<IPv6Address> {
        memberships.withLock { $0[interface]?.groups ?? [] }
    }

    /// Leaves every group on every interface (closing the sockets); used at shutdown.
    public func leaveAll() {
        memberships.withLock { memberships in
            for membership in memberships.values { Glibc.close(membership.socket) }
            memberships.removeAll()
        }
    }

    /// Joins or leaves one group with `setsockopt`; the system's reason on failure, nil on success.
    private static func change(_ option: Int32, _ group: IPv6Address, socket: Int32, index: Int32) -> String? {
        var request = ipv6_mreq()
        withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { $0.copyBytes(from: group.bytes) }
        request.ipv6mr_interface = UInt32(bitPattern: index)
        let status = setsockopt(socket, Int32(IPPROTO_IPV6), option, &request, socklen_t(MemoryLayout<ipv6_mreq>.size))
        return status == 0 ? nil : String(cString: strerror(errno))
    }
}
