// BGP peer and BFD profile rules: names, ASNs, address or interface, timers (RFC 4271 §4.2), passwords, BFD
// references and ranges (RFC 5880), duplicate peers, and BFD echo towards peers that receive IPv6.

extension Policy {
    /// Checks every peer, then duplicates and clashes between peers, then BFD echo with IPv6.
    func validateBGPPeers(into problems: inout PolicyProblemList) {
        problems.checkNames(bgpPeers.map(\.name), kind: .bgpPeer)
        let profiles = Set(bfdProfiles.map(\.name))
        for (index, peer) in bgpPeers.enumerated() {
            checkPeer(peer, object: PolicyObjectKind.bgpPeer.label(peer.name, index: index), bfdProfiles: profiles,
                      into: &problems)
        }
        checkPeerDuplicates(into: &problems)
        checkEchoWithIPv6(into: &problems)
    }

    /// Checks one peer's own fields.
    private func checkPeer(_ peer: BGPPeer, object: String, bfdProfiles: Set<String>,
                           into problems: inout PolicyProblemList) {
        if peer.myASN == 0 {
            problems.add(.missingKey, object, "myASN", "missing local ASN: set myASN to lbd's AS number (not 0)")
        }
        // MetalLB treats a peerASN of 0 as unset.
        switch (peer.peerASN ?? 0 != 0, peer.dynamicASN != nil) {
        case (true, true):
            problems.add(.conflict, object, "peerASN",
                         "peerASN and dynamicASN are mutually exclusive; set exactly one of them")
        case (false, false):
            problems.add(.missingKey, object, "peerASN",
                         "missing peer ASN: set peerASN, or dynamicASN (internal or external)")
        default: break
        }
        if peer.localASN == 0 {
            problems.add(.invalidValue, object, "localASN", "localASN must be 1 to 4294967295; remove it or set it")
        }
        let interface = peer.interface.flatMap { $0.isEmpty ? nil : $0 }
        switch (peer.peerAddress != nil, interface != nil) {
        case (true, true):
            problems.add(.conflict, object, "interface",
                         "peerAddress and interface are mutually exclusive; set peerAddress, or interface for an "
                         + "unnumbered session")
        case (false, false):
            problems.add(.missingKey, object, "peerAddress",
                         "the peer has neither peerAddress nor interface; set one of them")
        default: break
        }
        // lbd: a source address of the other family cannot reach the peer.
        if let source = peer.sourceAddress, let address = peer.peerAddress, source.family != address.family {
            problems.add(.conflict, object, "sourceAddress",
                         "\(source) is \(source.family) but peerAddress \(address) is \(address.family); use a "
                         + "source address of the peer's family")
        }
        if peer.peerPort == 0 {
            problems.add(.invalidValue, object, "peerPort", "0 is not a TCP port; use 1 to 65535 (BGP is 179)")
        }
        // lbd: RFC 6286 §2.1 makes a BGP Identifier of 0 invalid.
        if peer.routerID?.value == 0 {
            problems.add(.invalidValue, object, "routerID",
                         "0.0.0.0 is not a valid BGP identifier (RFC 6286 §2.1); use a non-zero IPv4 address")
        }
        for (field, value) in [("interface", peer.interface), ("password", peer.password), ("vrf", peer.vrf)] {
            if let value, value.contains(where: { $0 == "\n" || $0 == "\r" }) {
                problems.add(.invalidValue, object, field, "contains a line break; remove it")
            }
        }
        checkTimers(peer, object: object, into: &problems)
        if peer.isIBGP && peer.ebgpMultiHop {
            problems.add(.conflict, object, "ebgpMultiHop",
                         "ebgpMultiHop applies to eBGP only, and this is an iBGP peer (same AS); remove ebgpMultiHop")
        }
        if let profile = peer.bfdProfile, !bfdProfiles.contains(profile) {
            problems.add(.unknownReference, object, "bfdProfile",
                         "no BFD profile is named '\(profile)'; fix the name or define the profile")
        }
        if peer.password != nil && peer.passwordSecret != nil {
            problems.add(.conflict, object, "passwordSecret",
                         "password and passwordSecret are mutually exclusive; keep one of them")
        }
        problems.checkSelectors(peer.nodeSelectors, field: "nodeSelectors", object: object)
    }

    /// Checks hold and keepalive times. A hold time is 0 (no keepalives) or at least 3 s (RFC 4271 §4.2).
    ///
    /// MetalLB truncates to whole seconds (`int(d.Seconds())`); lbd's speaker rounds (`roundedSeconds`). lbd
    /// rejects a hold time that becomes 1 or 2 s either way, i.e. anything from 0.5 s to under 3 s, and negative
    /// times. When only keepaliveTime is set the hold time is 3× it; that derived value is not checked here.
    private func checkTimers(_ peer: BGPPeer, object: String, into problems: inout PolicyProblemList) {
        if let hold = peer.holdTime {
            let truncated = hold.nanoseconds / 1_000_000_000
            let rounded = hold.roundedSeconds
            if hold.nanoseconds < 0 || (1...2).contains(truncated) || (1...2).contains(rounded) {
                problems.add(.invalidValue, object, "holdTime",
                             "invalid hold time \(hold): a hold time is 0 (no keepalives) or at least 3s "
                             + "(RFC 4271 §4.2); use 0 or 3s or more")
            }
        }
        if let keepalive = peer.keepaliveTime {
            if keepalive.nanoseconds < 0 {
                problems.add(.invalidValue, object, "keepaliveTime",
                             "invalid keepalive time \(keepalive): it cannot be negative")
            } else if let hold = peer.holdTime, keepalive > hold {
                problems.add(.conflict, object, "keepaliveTime",
                             "keepaliveTime \(keepalive) is longer than holdTime \(hold); a keepalive must come "
                             + "before the hold timer expires: use at most \(hold) (a third of it is usual)")
            }
        }
        if let connect = peer.connectTime,
           connect.nanoseconds % 1_000_000_000 != 0 || !(1...65535).contains(connect.nanoseconds / 1_000_000_000) {
            problems.add(.invalidValue, object, "connectTime",
                         "invalid connect time \(connect): use whole seconds from 1s to 65535s")
        }
    }

    /// Reports peers identical apart from the name, and peers with one address (or interface), port and VRF
    /// whose node selectors can select one node (two sessions to one router from one node cannot coexist).
    private func checkPeerDuplicates(into problems: inout PolicyProblemList) {
        for later in bgpPeers.indices {
            let b = bgpPeers[later]
            let object = PolicyObjectKind.bgpPeer.label(b.name, index: later)
            var unnamed = b
            unnamed.name = ""
            for earlier in 0..<later {
                let a = bgpPeers[earlier]
                let other = PolicyObjectKind.bgpPeer.label(a.name, index: earlier)
                var aUnnamed = a
                aUnnamed.name = ""
                if aUnnamed == unnamed {
                    problems.add(.duplicate, object, nil, "identical to \(other) apart from the name; remove one")
                    break
                }
                guard let endpoint = b.sessionEndpoint, endpoint == a.sessionEndpoint,
                      a.nodeSelectors.canSelectSameObject(as: b.nodeSelectors) else { continue }
                problems.add(.conflict, object, b.peerAddress != nil ? "peerAddress" : "interface",
                             "\(other) has the same \(endpoint.text) and their nodeSelectors can select the same "
                             + "node, where the two sessions would clash; merge them or make the nodeSelectors "
                             + "disjoint")
                break
            }
        }
    }

    /// Reports peers whose BFD profile has echo mode on and that receive an advertisement of an IPv6 pool
    /// (MetalLB's `validateConfig`: BFD echo is not possible for IPv6).
    private func checkEchoWithIPv6(into problems: inout PolicyProblemList) {
        let echoProfiles = Set(bfdProfiles.filter { $0.echoMode == true }.map(\.name))
        guard !echoProfiles.isEmpty else { return }
        for (index, peer) in bgpPeers.enumerated() {
            guard let profile = peer.bfdProfile, echoProfiles.contains(profile) else { continue }
            let v6Sources = bgpAdvertisements.compactMap { ad -> String? in
                guard ad.peers.isEmpty || ad.peers.contains(peer.name),
                      let pool = pools.first(where: { ad.selects($0) && $0.families.contains(.ipv6) }) else { return nil }
                return "bgpAdvertisement \"\(ad.name)\" of pool \"\(pool.name)\""
            }
            guard let first = v6Sources.first else { continue }
            problems.add(.conflict, PolicyObjectKind.bgpPeer.label(peer.name, index: index), "bfdProfile",
                         "BFD profile '\(profile)' has echoMode on, but this peer receives IPv6 (\(first)) and BFD "
                         + "echo is not possible over IPv6; turn echoMode off or use another profile for this peer")
        }
    }

    /// Checks every BFD profile: names, and the ranges of RFC 5880 timers as MetalLB (and FRR) accept them.
    func validateBFDProfiles(into problems: inout PolicyProblemList) {
        problems.checkNames(bfdProfiles.map(\.name), kind: .bfdProfile)
        for (index, profile) in bfdProfiles.enumerated() {
            let object = PolicyObjectKind.bfdProfile.label(profile.name, index: index)
            let checks: [(String, UInt32?, ClosedRange<UInt32>, String)] = [
                ("receiveInterval", profile.receiveInterval, 10...60000, " milliseconds"),
                ("transmitInterval", profile.transmitInterval, 10...60000, " milliseconds"),
                ("echoInterval", profile.echoInterval, 10...60000, " milliseconds"),
                ("detectMultiplier", profile.detectMultiplier, 2...255, ""),
                ("minimumTtl", profile.minimumTtl, 1...254, ""),
            ]
            for (field, value, range, unit) in checks {
                if let value, !range.contains(value) {
                    problems.add(.invalidValue, object, field,
                                 "\(field) \(value) is out of range; use \(range.lowerBound) to \(range.upperBound)\(unit)")
                }
            }
        }
    }
}

extension BGPPeer {
    /// What identifies a session on one node: address (or interface), port and VRF.
    struct SessionEndpoint: Hashable {
        var address: IPAddress?
        var interface: String?
        var port: UInt16
        var vrf: String

        /// `address 10.0.0.1 port 179` (and ` vrf red`), for messages.
        var text: String {
            let target = address.map { "address \($0) port \(port)" } ?? "interface \(interface ?? "")"
            return vrf.isEmpty ? target : "\(target) vrf \(vrf)"
        }
    }

    /// The session's endpoint, or nil when the peer has neither address nor interface.
    var sessionEndpoint: SessionEndpoint? {
        let interface = self.interface.flatMap { $0.isEmpty ? nil : $0 }
        guard peerAddress != nil || interface != nil else { return nil }
        return SessionEndpoint(address: peerAddress, interface: peerAddress == nil ? interface : nil,
                               port: peerPort, vrf: vrf ?? "")
    }
}
