import LBKernel

extension SessionStateMachine {
    /// Checks the peer's OPEN in the order of RFC 4271 §6.2 and returns why it is unacceptable, or nil.
    ///
    /// - Version: only 4.
    /// - AS: the 4-octet AS capability's value when present (the 2-octet field then holds AS_TRANS for a large AS,
    ///   RFC 6793 §4.1), else the 2-octet field; it must be the configured peer AS, or ours for a dynamic internal
    ///   peer, or not ours for a dynamic external one.
    /// - Hold time: 0 or at least 3 (§4.2).
    /// - BGP identifier: nonzero, and on an iBGP session different from ours (RFC 6286 §2.2, which lets eBGP peers
    ///   share an identifier).
    /// - Families: at least one of ours (RFC 5492 §5 Unsupported Capability otherwise): a session that can carry
    ///   nothing is refused rather than shown as Established.
    func validate(_ open: OpenMessage) -> OpenRejection? {
        if open.version != 4 { return .unsupportedVersion(open.version) }
        let peerAS = Self.announcedAS(open)
        let asAccepted = switch configuration.peerAS {
        case .exactly(let expected): peerAS == expected
        case .internal: peerAS == configuration.localAS
        case .external: peerAS != configuration.localAS
        }
        if !asAccepted { return .badPeerAS(peerAS) }
        if open.holdTime == 1 || open.holdTime == 2 { return .unacceptableHoldTime(open.holdTime) }
        if open.bgpIdentifier.value == 0
            || (peerAS == configuration.localAS && open.bgpIdentifier == configuration.localIdentifier) {
            return .badBGPIdentifier(open.bgpIdentifier)
        }
        if Self.commonFamilies(ours: configuration.families, open: open).isEmpty {
            return .noCommonFamily(offered: configuration.families)
        }
        return nil
    }

    /// The AS the OPEN's sender has: its 4-octet AS capability if it sent one (RFC 6793 §4.1), else `myAS`.
    static func announcedAS(_ open: OpenMessage) -> UInt32 {
        for case .fourOctetAS(let asn) in open.capabilities { return asn }
        return open.myAS
    }

    /// The families both sides announced, sorted; a peer without any multiprotocol capability carries IPv4 unicast
    /// only (RFC 4760 §8: MP-BGP is used only when both sides announce the family; plain RFC 4271 is IPv4 unicast).
    static func commonFamilies(ours: [AddressFamily], open: OpenMessage) -> [AddressFamily] {
        var theirs: Set<AddressFamily> = []
        for case .multiprotocol(let family) in open.capabilities { theirs.insert(family) }
        if theirs.isEmpty { theirs = [.ipv4Unicast] }
        return Set(ours).intersection(theirs).sorted()
    }
}
