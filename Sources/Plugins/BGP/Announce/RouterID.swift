public import LBKernel

/// How a session's BGP identifier is chosen (RFC 4271 §4.2, RFC 6286), as MetalLB's native speaker does when
/// nothing is configured.
public enum RouterID {
    /// The identifier for a session with `peer`: the peer's `routerID`, else the plugin's `routerID`, else
    /// ``derived(localAddress:interfaceIPv4:nodeName:)``.
    public static func choose(peer: BGPPeer, configured: IPv4Address?, localAddress: IPAddress?,
                              interfaceIPv4: IPv4Address?, nodeName: String) -> IPv4Address {
        peer.routerID ?? configured
            ?? derived(localAddress: localAddress, interfaceIPv4: interfaceIPv4, nodeName: nodeName)
    }

    /// The identifier MetalLB derives: the session's local address when it is IPv4, else the first IPv4 address of
    /// the interface the session uses, else the CRC-32 (IEEE) of the node name, its bytes in little-endian order as
    /// MetalLB writes them (so lbd and MetalLB on the same node present the same identifier).
    public static func derived(localAddress: IPAddress?, interfaceIPv4: IPv4Address?,
                               nodeName: String) -> IPv4Address {
        if case .v4(let address)? = localAddress, address.value != 0 { return address }
        if let interfaceIPv4, interfaceIPv4.value != 0 { return interfaceIPv4 }
        let crc = crc32(Array(nodeName.utf8))
        let id = IPv4Address(UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24))
        // RFC 6286 §2.1: the identifier is nonzero. A name hashing to 0 gets 0.0.0.1.
        return id.value == 0 ? IPv4Address(1) : id
    }

    /// CRC-32 with the IEEE 802.3 polynomial (reflected 0xEDB88320), as Go's `crc32.ChecksumIEEE`.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
