import Layer2Plugin
import LBKernel
import Testing

@Suite("InterfaceSelection")
struct InterfaceSelectionTests {
    static let linkLocal = IPv6Address("fe80::1")!
    static let mac = MACAddress("02:00:00:00:00:01")!

    /// An up, broadcast-capable Ethernet interface with a link-local address, changed by `change`.
    static func interface(_ name: String, _ change: (inout NetworkInterface) -> Void = { _ in }) -> NetworkInterface {
        var interface = NetworkInterface(name: name, index: 7, mac: mac, ipv6LinkLocal: linkLocal)
        change(&interface)
        return interface
    }

    static let automatic: [(NetworkInterface, InterfaceVerdict)] = [
        (interface("eth0"), .announce(arp: true, ndp: true)),
        (interface("eth1") { $0.ipv6LinkLocal = nil }, .announce(arp: true, ndp: false)),
        (interface("ppp0") { $0.supportsBroadcast = false }, .announce(arp: false, ndp: true)),
        (interface("tun0") { $0.supportsBroadcast = false; $0.ipv6LinkLocal = nil }, .skip(.nothingToAnnounce)),
        (interface("eth2") { $0.isRunning = false }, .announce(arp: true, ndp: true)),     // no carrier: still chosen
        (interface("lo") { $0.isLoopback = true; $0.mac = .zero }, .skip(.loopback)),
        (interface("eth3") { $0.isUp = false; $0.isRunning = false }, .skip(.down)),
        (interface("eth4") { $0.master = "br0" }, .skip(.enslaved(to: "br0"))),
        (interface("eth5") { $0.master = "bond0" }, .skip(.enslaved(to: "bond0"))),
        (interface("eth6") { $0.noARP = true }, .skip(.noARP)),
        (interface("eth7") { $0.mac = nil }, .skip(.noMAC)),
        (interface("eth8") { $0.mac = .zero }, .skip(.noMAC)),
        (interface("eth9") { $0.mac = MACAddress("01:00:5e:00:00:01") }, .skip(.noMAC)),
        (interface("docker0"), .skip(.excluded(pattern: "^docker.*"))),
        (interface("cbr0"), .skip(.excluded(pattern: "^cbr.*"))),
        (interface("dummy0"), .skip(.excluded(pattern: "^dummy.*"))),
        (interface("virbr0"), .skip(.excluded(pattern: "^virbr.*"))),
        (interface("lxcbr0"), .skip(.excluded(pattern: "^lxcbr.*"))),
        (interface("veth1a2b"), .skip(.excluded(pattern: "^veth.*"))),
        (interface("lo") { $0.isLoopback = false }, .skip(.excluded(pattern: "^lo$"))),
        (interface("cali12ab"), .skip(.excluded(pattern: "^cali.*"))),
        (interface("tunl0"), .skip(.excluded(pattern: "^tunl.*"))),
        (interface("flannel.1"), .skip(.excluded(pattern: "^flannel.*"))),
        (interface("kube-ipvs0"), .skip(.excluded(pattern: "^kube-ipvs.*"))),
        (interface("cni0"), .skip(.excluded(pattern: "^cni.*"))),
        (interface("nodelocaldns"), .skip(.excluded(pattern: "^nodelocaldns.*"))),
        (interface("lxc1234"), .skip(.excluded(pattern: "^lxc.*"))),
        (interface("lo1"), .announce(arp: true, ndp: true)),            // ^lo$ is anchored at both ends
        (interface("eth0docker"), .announce(arp: true, ndp: true)),     // ^docker.* only at the start
        (interface("docker0") { $0.isUp = false }, .skip(.down)),        // structural reasons come first
    ]

    @Test("automatic selection with MetalLB's default exclusions", arguments: automatic)
    func automaticSelection(interface: NetworkInterface, expected: InterfaceVerdict) {
        let verdict = InterfaceSelection.verdict(
            for: interface, requested: nil, exclusions: InterfaceSelection.defaultExclusionPatterns)
        #expect(verdict == expected, "\(interface.name)")
    }

    static let requested: [(NetworkInterface, Set<String>, InterfaceVerdict)] = [
        (interface("eth0"), ["eth0"], .announce(arp: true, ndp: true)),
        (interface("eth1"), ["eth0"], .skip(.notRequested)),
        (interface("eth0"), [], .skip(.notRequested)),
        (interface("veth1"), ["veth1"], .announce(arp: true, ndp: true)),       // named: exclusions bypassed
        (interface("docker0"), ["docker0", "eth0"], .announce(arp: true, ndp: true)),
        (interface("veth1") { $0.isUp = false }, ["veth1"], .skip(.down)),      // but not the other rules
        (interface("eth4") { $0.master = "br0" }, ["eth4"], .skip(.enslaved(to: "br0"))),
        (interface("eth6") { $0.noARP = true }, ["eth6"], .skip(.noARP)),
        (interface("lo") { $0.isLoopback = true }, ["lo"], .skip(.loopback)),
    ]

    @Test("explicitly requested interfaces", arguments: requested)
    func requestedSelection(interface: NetworkInterface, names: Set<String>, expected: InterfaceVerdict) {
        let verdict = InterfaceSelection.verdict(
            for: interface, requested: names, exclusions: InterfaceSelection.defaultExclusionPatterns)
        #expect(verdict == expected, "\(interface.name) with \(names.sorted())")
    }

    @Test("verdicts cover every interface and name requested names that are missing")
    func verdictsForAList() {
        let interfaces = [Self.interface("eth0"), Self.interface("veth0"), Self.interface("eth1")]
        let automatic = InterfaceSelection.verdicts(
            for: interfaces, requested: nil, exclusions: InterfaceSelection.defaultExclusionPatterns)
        #expect(automatic == [
            "eth0": .announce(arp: true, ndp: true), "veth0": .skip(.excluded(pattern: "^veth.*")),
            "eth1": .announce(arp: true, ndp: true),
        ])
        let named = InterfaceSelection.verdicts(
            for: interfaces, requested: ["veth0", "eth9"], exclusions: InterfaceSelection.defaultExclusionPatterns)
        #expect(named == [
            "eth0": .skip(.notRequested), "veth0": .announce(arp: true, ndp: true), "eth1": .skip(.notRequested),
            "eth9": .skip(.notFound),
        ])
    }

    @Test("custom exclusion patterns replace the defaults")
    func customExclusions() throws {
        let patterns = [try InterfacePattern("^eth1$"), try InterfacePattern("docker")]
        let verdicts = InterfaceSelection.verdicts(
            for: [Self.interface("eth1"), Self.interface("eth10"), Self.interface("mydocker0"),
                  Self.interface("veth0")],
            requested: nil, exclusions: patterns)
        #expect(verdicts["eth1"] == .skip(.excluded(pattern: "^eth1$")))
        #expect(verdicts["eth10"] == .announce(arp: true, ndp: true))
        #expect(verdicts["mydocker0"] == .skip(.excluded(pattern: "docker")))   // Go's MatchString: found anywhere
        #expect(verdicts["veth0"] == .announce(arp: true, ndp: true))
    }

    @Test("an invalid pattern is rejected with an error naming it", arguments: ["(", "[a-", "a{2,1}", "*eth"])
    func invalidPattern(pattern: String) {
        #expect {
            _ = try InterfacePattern(pattern)
        } throws: { error in
            guard let error = error as? InterfacePatternError else { return false }
            return error.pattern == pattern && error.description.contains("\"\(pattern)\"")
        }
    }

    @Test("the default exclusions all compile")
    func defaultsCompile() {
        #expect(InterfaceSelection.defaultExclusionPatterns.map(\.pattern) == InterfaceSelection.defaultExclusions)
        #expect(InterfaceSelection.defaultExclusions.count == 14)
    }

    @Test("verdicts describe themselves for logs")
    func descriptions() {
        #expect(InterfaceVerdict.announce(arp: true, ndp: false).description == "announce (arp)")
        #expect(InterfaceVerdict.announce(arp: true, ndp: true).description == "announce (arp, ndp)")
        #expect(InterfaceVerdict.skip(.enslaved(to: "br0")).description == "skip: enslaved to br0")
        #expect(InterfaceVerdict.announce(arp: false, ndp: true).ndp)
        #expect(!InterfaceVerdict.skip(.down).arp)
    }
}
