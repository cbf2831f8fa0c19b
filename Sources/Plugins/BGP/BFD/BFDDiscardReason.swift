/// Why a received BFD datagram was dropped, one case per reception rule (RFC 5880 §6.8.6, RFC 5881 §5).
///
/// Sessions count drops by reason; the matching ``BFDPacketError`` carries the details in words.
public enum BFDDiscardReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Shorter than the mandatory section, than its own Length field, or than its authentication section header.
    case truncated
    /// The Version field is not 1.
    case unsupportedVersion
    /// The Length field is below 24 (26 with the A bit set).
    case lengthTooShort
    /// The Length field is larger than the UDP payload.
    case lengthBeyondDatagram
    /// Detect Mult is zero.
    case zeroDetectMultiplier
    /// The Multipoint (M) bit is set.
    case multipointSet
    /// My Discriminator is zero.
    case zeroMyDiscriminator
    /// Your Discriminator is zero although the State is neither Down nor AdminDown.
    case zeroYourDiscriminator
    /// The authentication section's type is unknown or its length does not match the type.
    case malformedAuthentication
    /// The TTL or hop limit was not 255 (RFC 5881 §5, the GTSM check of single-hop BFD).
    case hopLimitNot255
    /// The packet came from an address other than the session's peer (single-hop demultiplexing, RFC 5881 §3).
    case unexpectedSource
    /// Your Discriminator is nonzero and is not ours: the packet belongs to no session here.
    case yourDiscriminatorMismatch
    /// The A bit is set, but this session does not authenticate (bfd.AuthType is zero).
    case authenticationNotInUse
    /// Our session is AdminDown, so received packets are ignored.
    case sessionAdminDown

    /// The reason's name.
    public var description: String { rawValue }
}
