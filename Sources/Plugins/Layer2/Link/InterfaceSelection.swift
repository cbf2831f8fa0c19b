/// Decides which interfaces the Layer 2 plugin announces on, as MetalLB's speaker does.
///
/// Pure: the scanner's snapshot in, one verdict per interface out. In automatic mode every interface that is up,
/// not loopback, ARP-capable (not `NOARP`), not a bond or bridge member and not matched by an exclusion pattern is
/// announced on. When interfaces are named, only those are; a named interface bypasses the exclusion patterns but
/// not the other rules.
public enum InterfaceSelection {
    /// MetalLB's default exclusion patterns: container, virtual-bridge and tunnel interfaces, and loopback.
    public static let defaultExclusions: [String] = [
        "^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo$", "^cali.*", "^tunl.*",
        "^flannel.*", "^kube-ipvs.*", "^cni.*", "^nodelocaldns.*", "^lxc.*",
    ]

    /// The default exclusion patterns, compiled.
    public static let defaultExclusionPatterns: [InterfacePattern] = defaultExclusions.map {
        // The defaults are constant and valid; a failure here is a programming error.
        do { return try InterfacePattern($0) } catch { preconditionFailure("\(error)") }
    }

    /// One verdict per interface (by name), plus `.skip(.notFound)` for every requested name that is not present.
    ///
    /// - Parameters:
    ///   - interfaces: the scanner's snapshot.
    ///   - requested: nil for automatic selection; else the only names to announce on (empty announces nowhere).
    ///   - exclusions: names matching one of these are skipped in automatic selection.
    public static func verdicts(
        for interfaces: [NetworkInterface], requested: Set<String>?, exclusions: [InterfacePattern]
    ) -> [String: InterfaceVerdict] {
        var verdicts: [String: InterfaceVerdict] = [:]
        for interface in interfaces {
            verdicts[interface.name] = verdict(for: interface, requested: requested, exclusions: exclusions)
        }
        for name in requested ?? [] where verdicts[name] == nil {
            verdicts[name] = .skip(.notFound)
        }
        return verdicts
    }

    /// The verdict for one interface; the first rule that fails names the reason.
    public static func verdict(
        for interface: NetworkInterface, requested: Set<String>?, exclusions: [InterfacePattern]
    ) -> InterfaceVerdict {
        if let requested, !requested.contains(interface.name) { return .skip(.notRequested) }
        if interface.isLoopback { return .skip(.loopback) }
        if !interface.isUp { return .skip(.down) }
        if let master = interface.master { return .skip(.enslaved(to: master)) }
        if interface.noARP { return .skip(.noARP) }
        guard let mac = interface.mac, mac.isUnicast else { return .skip(.noMAC) }
        if requested == nil, let pattern = exclusions.first(where: { $0.matches(interface.name) }) {
            return .skip(.excluded(pattern: pattern.pattern))
        }
        let arp = interface.supportsBroadcast
        let ndp = interface.ipv6LinkLocal != nil
        guard arp || ndp else { return .skip(.nothingToAnnounce) }
        return .announce(arp: arp, ndp: ndp)
    }
}
