public import LBKernel

/// A Neighbor Solicitation (RFC 4861 §4.3): "what is the link-layer address of `target`?".
public struct NeighborSolicitation: Hashable, Sendable {
    /// The address asked for; never multicast.
    public var target: IPv6Address
    /// The sender's link-layer address from the Source Link-Layer Address option (RFC 4861 §4.6.1), if present.
    public var sourceLinkLayer: MACAddress?

    /// Creates a solicitation.
    public init(target: IPv6Address, sourceLinkLayer: MACAddress? = nil) {
        self.target = target
        self.sourceLinkLayer = sourceLinkLayer
    }
}

/// A Neighbor Advertisement (RFC 4861 §4.4): "`target` is at this link-layer address".
public struct NeighborAdvertisement: Hashable, Sendable {
    /// The Router flag (R): the sender is a router.
    public var router: Bool
    /// The Solicited flag (S): an answer to a solicitation; never set on a multicast advertisement.
    public var solicited: Bool
    /// The Override flag (O): receivers replace the link-layer address they have cached.
    public var override: Bool
    /// The address advertised; never multicast.
    public var target: IPv6Address
    /// The advertised link-layer address from the Target Link-Layer Address option (RFC 4861 §4.6.1), if present.
    public var targetLinkLayer: MACAddress?

    /// Creates an advertisement.
    public init(router: Bool = false, solicited: Bool, override: Bool, target: IPv6Address,
                targetLinkLayer: MACAddress?) {
        self.router = router
        self.solicited = solicited
        self.override = override
        self.target = target
        self.targetLinkLayer = targetLinkLayer
    }
}

/// The two neighbor discovery messages this plugin reads and writes.
public enum NDPMessage: Hashable, Sendable {
    /// ICMPv6 type 135.
    case solicitation(NeighborSolicitation)
    /// ICMPv6 type 136.
    case advertisement(NeighborAdvertisement)

    /// ICMPv6 type of a Neighbor Solicitation (RFC 4861 §4.3).
    public static let typeSolicitation: UInt8 = 135
    /// ICMPv6 type of a Neighbor Advertisement (RFC 4861 §4.4).
    public static let typeAdvertisement: UInt8 = 136

    /// The target address of either message.
    public var target: IPv6Address {
        switch self {
        case .solicitation(let s): s.target
        case .advertisement(let a): a.target
        }
    }

    /// The ICMPv6 type.
    public var type: UInt8 {
        switch self {
        case .solicitation: NDPMessage.typeSolicitation
        case .advertisement: NDPMessage.typeAdvertisement
        }
    }

    /// The ICMPv6 message with a zero checksum field: type, code 0, checksum, 4 octets of flags/reserved, the
    /// target, and a link-layer address option when there is an address (RFC 4861 §4.3, §4.4, §4.6.1).
    func encodedWithoutChecksum() -> [UInt8] {
        var bytes: [UInt8] = [type, 0, 0, 0]
        let option: (type: UInt8, mac: MACAddress)?
        switch self {
        case .solicitation(let s):
            bytes += [0, 0, 0, 0]
            option = s.sourceLinkLayer.map { (NDPOptions.sourceLinkLayer, $0) }
        case .advertisement(let a):
            bytes += [(a.router ? 0x80 : 0) | (a.solicited ? 0x40 : 0) | (a.override ? 0x20 : 0), 0, 0, 0]
            option = a.targetLinkLayer.map { (NDPOptions.targetLinkLayer, $0) }
        }
        bytes += target.bytes
        if let option { bytes += [option.type, 1] + option.mac.bytes }
        return bytes
    }
}
