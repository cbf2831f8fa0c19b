/// Why a received heartbeat datagram was dropped.
///
/// ``HeartbeatCodec/open(_:)`` finds the first five (the datagram itself is wrong), ``MembershipStateMachine``
/// the others (an authentic beat that must not count). Every rejection is counted per reason.
public enum HeartbeatRejection: String, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Fewer octets than the header or the node name it announces need.
    case truncated
    /// The datagram does not start with "LBDH": not a heartbeat at all.
    case badMagic
    /// A heartbeat of a format version this lbd does not speak.
    case unsupportedVersion
    /// The octets are inconsistent: an empty node name, octets after the MAC, unknown flags, a zero interval, a
    /// reserved octet set or a node name that is not UTF-8.
    case malformed
    /// The HMAC matches none of the keys: a wrong key, or tampering.
    case unauthenticated
    /// Not newer than the last beat accepted from that incarnation of the node (a replay, or a reordered datagram).
    case replayed
    /// From an older incarnation of the node than the last one heard (a replay, or a late datagram from before a
    /// restart).
    case oldIncarnation
    /// A later beat of an incarnation that already said it was leaving: only a new incarnation (a restart) comes
    /// back.
    case leftIncarnation
    /// The sender's timestamp is further from our wall clock than `maxClockSkew` (a replay of an old capture, or
    /// clocks that are not synchronized).
    case clockSkew
    /// Our own beat, looped back (our node name and our incarnation): expected when `peers` lists this node.
    case fromSelf
    /// Another node uses our node name (our name, another incarnation that cannot be an earlier life of ours): a
    /// misconfiguration to fix, since both nodes then claim the same addresses.
    case duplicateNodeName

    /// Whether the reason is a malformed or unauthenticated datagram (the codec's verdict) rather than an
    /// authentic beat that must not count.
    public var isDecodingFailure: Bool {
        switch self {
        case .truncated, .badMagic, .unsupportedVersion, .malformed, .unauthenticated: true
        default: false
        }
    }

    /// The reason's name, as in counters.
    public var description: String { rawValue }
}
