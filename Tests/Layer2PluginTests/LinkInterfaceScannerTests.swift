import Layer2Plugin
import LBKernel
import Testing

/// InterfaceScanner inside a namespace the test creates: a veth with addresses, a bridge with a member, a NOARP link.
@Suite("InterfaceScanner", .enabled(if: LinkTestNamespace.available, "needs root and iproute2 for network namespaces"))
struct LinkInterfaceScannerTests {
    /// The word after `key` in `text`.
    static func word(after key: String, in text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" })
        guard let position = words.firstIndex(where: { $0 == key }), position + 1 < words.count else { return nil }
        return String(words[position + 1])
    }

    @Test("the scan shows the namespace's interfaces with MAC, flags, addresses and a bridge member's master")
    func scan() async throws {
        try await LinkTestNamespace.with { pair in
            let n = pair.number
            let bridge = "lk\(n)br", member = "lk\(n)c", peer = "lk\(n)d", interfaceA = pair.interfaceA
            try await pair.ip(pair.a, "link", "add", bridge, "type", "bridge")
            try await pair.ip(pair.a, "link", "add", member, "type", "veth", "peer", "name", peer)
            try await pair.ip(pair.a, "link", "set", member, "master", bridge)
            try await pair.ip(pair.a, "link", "set", peer, "arp", "off", "up")

            // The link-local address comes once the kernel has processed the carrier change: scan until it is there.
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(30))
            var interfaces = try await pair.inA { InterfaceScanner.scan() }
            while interfaces.first(where: { $0.name == interfaceA })?.ipv6LinkLocal == nil, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                interfaces = try await pair.inA { InterfaceScanner.scan() }
            }
            // Only the namespace's own interfaces: a scan that read the host's would list others.
            #expect(Set(interfaces.map(\.name)) == ["lo", interfaceA, bridge, member, peer])
            #expect(interfaces.map(\.index) == interfaces.map(\.index).sorted())

            let a = try #require(interfaces.first { $0.name == interfaceA })
            let link = try await pair.ip(pair.a, "-o", "link", "show", "dev", interfaceA)
            #expect(a.index == Int32(link.prefix { $0 != ":" }))
            #expect(a.mac == Self.word(after: "link/ether", in: link).flatMap { MACAddress($0) })
            #expect(a.mac != nil)
            #expect(a.isUp && a.isRunning && a.supportsBroadcast)
            #expect(!a.isLoopback && !a.noARP)
            #expect(a.master == nil)
            #expect(a.ipv4 == [pair.ipv4A])
            #expect(a.ipv6 == [pair.ipv6A])
            let linkLocal = try await pair.ip(pair.a, "-6", "-o", "addr", "show", "dev", interfaceA, "scope", "link")
            let expectedLinkLocal = Self.word(after: "inet6", in: linkLocal)?.split(separator: "/").first
            #expect(a.ipv6LinkLocal != nil)
            #expect(a.ipv6LinkLocal == expectedLinkLocal.flatMap { IPv6Address($0) })

            let lo = try #require(interfaces.first { $0.name == "lo" })
            #expect(lo.isLoopback && !lo.isUp)
            #expect(interfaces.first { $0.name == member }?.master == bridge)
            #expect(interfaces.first { $0.name == bridge }?.isUp == false)
            let noARP = try #require(interfaces.first { $0.name == peer })
            #expect(noARP.noARP && noARP.isUp && noARP.master == nil)

            let verdicts = InterfaceSelection.verdicts(
                for: interfaces, requested: nil, exclusions: InterfaceSelection.defaultExclusionPatterns)
            #expect(verdicts == [
                "lo": .skip(.loopback), interfaceA: .announce(arp: true, ndp: true), bridge: .skip(.down),
                member: .skip(.down), peer: .skip(.noARP),
            ])
        }
    }
}
