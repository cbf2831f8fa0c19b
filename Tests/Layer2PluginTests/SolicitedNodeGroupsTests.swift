import Glibc
import Layer2Plugin
import LBKernel
import Testing

@Suite("SolicitedNodeGroups")
struct SolicitedNodeGroupsTests {
    static let first = IPv6Address("ff02::1:ff00:abcd")!
    static let second = IPv6Address("ff02::1:ff12:3456")!

    /// The IPv6 groups `ip -6 maddr` lists for the interface (the kernel's own included).
    static func joined(_ pair: LinkTestNamespace) async throws -> Set<IPv6Address> {
        let output = try await pair.ip(pair.a, "-6", "maddr", "show", "dev", pair.interfaceA)
        return Set(output.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2, words[0].hasSuffix("inet6") else { return nil }
            return IPv6Address(words[1])
        })
    }

    @Test("joins show in ip maddr, joining twice changes nothing, and unwanted groups are left",
          .enabled(if: LinkTestNamespace.available, "needs root and iproute2 for network namespaces"))
    func joinAndLeave() async throws {
        try await LinkTestNamespace.with { pair in
            let groups = SolicitedNodeGroups()
            defer { groups.leaveAll() }
            let interface = pair.interfaceA
            let index = try await pair.inA { Int32(if_nametoindex(interface)) }
            #expect(index > 0)
            #expect(try await !Self.joined(pair).contains(Self.first))
            // The first set opens the interface's socket, which must happen inside the namespace.
            try await pair.inA { try groups.set([Self.first], on: interface, index: index) }
            #expect(try await Self.joined(pair).contains(Self.first))
            #expect(groups.groups(on: interface) == [Self.first])

            try groups.set([Self.first], on: interface, index: index)
            #expect(groups.groups(on: interface) == [Self.first])
            #expect(try await Self.joined(pair).contains(Self.first))

            try groups.set([Self.second], on: interface, index: index)
            let afterSwap = try await Self.joined(pair)
            #expect(afterSwap.contains(Self.second))
            #expect(!afterSwap.contains(Self.first))

            try groups.set([], on: interface, index: index)
            let afterEmpty = try await Self.joined(pair)
            #expect(!afterEmpty.contains(Self.first) && !afterEmpty.contains(Self.second))
            #expect(groups.groups(on: interface).isEmpty)
        }
    }

    @Test("leaveAll leaves every group",
          .enabled(if: LinkTestNamespace.available, "needs root and iproute2 for network namespaces"))
    func leaveAll() async throws {
        try await LinkTestNamespace.with { pair in
            let groups = SolicitedNodeGroups()
            let interface = pair.interfaceA
            try await pair.inA {
                try groups.set([Self.first, Self.second], on: interface, index: Int32(if_nametoindex(interface)))
            }
            #expect(try await Self.joined(pair).isSuperset(of: [Self.first, Self.second]))
            groups.leaveAll()
            #expect(try await Self.joined(pair).isDisjoint(with: [Self.first, Self.second]))
            #expect(groups.groups(on: interface).isEmpty)
        }
    }

    @Test("a join that fails names the group and the interface, and is not recorded")
    func failedJoin() {
        let groups = SolicitedNodeGroups()
        defer { groups.leaveAll() }
        #expect {
            try groups.set([Self.first], on: "lk-nowhere", index: 999_999)
        } throws: { error in
            guard let error = error as? LinkError else { return false }
            return error.code == .join && error.interface == "lk-nowhere"
                && error.description.contains("lk-nowhere") && error.description.contains("ff02::1:ff00:abcd")
        }
        #expect(groups.groups(on: "lk-nowhere").isEmpty)
    }
}
