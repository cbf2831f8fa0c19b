/// One IEEE 802.1Q (or 802.1ad) tag of an Ethernet frame: the TPID that announces it and the tag control information.
public struct VLANTag: Hashable, Sendable, CustomStringConvertible {
    /// The tag protocol identifier: 0x8100 (IEEE 802.1Q, C-tag) or 0x88a8 (IEEE 802.1ad, S-tag).
    public var tpid: UInt16
    /// The tag control information: priority (3 bits), drop eligible (1 bit) and VLAN ID (12 bits).
    public var tci: UInt16

    /// The IEEE 802.1Q customer tag TPID.
    public static let tpid8021Q: UInt16 = 0x8100
    /// The IEEE 802.1ad service tag TPID (the outer tag of QinQ).
    public static let tpid8021AD: UInt16 = 0x88A8

    /// Creates a tag from its TPID and TCI as they are on the wire.
    public init(tpid: UInt16 = VLANTag.tpid8021Q, tci: UInt16) {
        self.tpid = tpid
        self.tci = tci
    }

    /// Creates a tag for `vlanID` (its low 12 bits) with priority `priority` (its low 3 bits).
    public init(vlanID: UInt16, priority: UInt8 = 0, tpid: UInt16 = VLANTag.tpid8021Q) {
        self.init(tpid: tpid, tci: UInt16(priority & 0x7) << 13 | vlanID & 0x0FFF)
    }

    /// The VLAN identifier (IEEE 802.1Q: the low 12 bits of the TCI).
    public var vlanID: UInt16 { tci & 0x0FFF }
    /// The priority code point (IEEE 802.1Q: the top 3 bits of the TCI).
    public var priority: UInt8 { UInt8(tci >> 13) }

    /// Whether `etherType` announces a tag this codec reads.
    static func isTPID(_ etherType: UInt16) -> Bool { etherType == tpid8021Q || etherType == tpid8021AD }

    /// `vlan 10` or `vlan 10 prio 5`, with `802.1ad` for S-tags.
    public var description: String {
        (tpid == VLANTag.tpid8021AD ? "802.1ad " : "") + "vlan \(vlanID)" + (priority == 0 ? "" : " prio \(priority)")
    }
}
