import LBKernel
import Testing
@testable import Layer2Plugin

/// The election vectors, computed with Python's hashlib:
/// `sorted(names, key=lambda n: hashlib.sha256((n + "#" + address).encode()).digest())`.
@Suite struct OwnerElectionTests {
    static let names = ["n1", "n2", "n3", "node-a", "node-b"]

    /// (address as lbd prints it, expected order). SHA-256 digests, first 8 octets:
    ///
    /// 10.98.0.100: n2 3f373aeb…, n1 4245195c…, node-b 60446aa2…, n3 69712cae…, node-a bf37e62c…
    /// 10.98.0.101: node-b 5a9c8436…, n1 7fa6c115…, n3 b4283479…, n2 b58bd9b4…, node-a e2e0bae1…
    /// fd00:98::100: node-a 3a6c43ba…, n3 490daea5…, n1 7fcfba72…, n2 d68ffc74…, node-b dc94431f…
    static let vectors: [(String, [String])] = [
        ("10.98.0.100", ["n2", "n1", "node-b", "n3", "node-a"]),
        ("10.98.0.101", ["node-b", "n1", "n3", "n2", "node-a"]),
        ("fd00:98::100", ["node-a", "n3", "n1", "n2", "node-b"]),
    ]

    @Test(arguments: vectors)
    func rankingMatchesHashlib(address: String, expected: [String]) {
        let address = IPAddress(address)!
        #expect(OwnerElection.ranking(of: Self.names, for: address) == expected)
        // The order of the input does not matter, duplicates collapse.
        #expect(OwnerElection.ranking(of: Self.names.reversed() + ["n1", "n2"], for: address) == expected)
    }

    /// The key is the canonical text (RFC 5952), whatever form the address was written in.
    @Test func ipv6KeyIsCanonicalText() {
        let longForm = IPAddress("FD00:0098:0:0:0:0:0:0100")!
        #expect(longForm.description == "fd00:98::100")
        #expect(OwnerElection.ranking(of: Self.names, for: longForm) == ["node-a", "n3", "n1", "n2", "node-b"])
    }

    /// A subset keeps the relative order of the full ranking: removing a node that does not rank first moves
    /// nothing (MetalLB's statelessness).
    @Test(arguments: vectors)
    func subsetsKeepTheirOrder(address: String, expected: [String]) {
        let address = IPAddress(address)!
        for dropped in Self.names {
            let rest = Self.names.filter { $0 != dropped }
            #expect(OwnerElection.ranking(of: rest, for: address) == expected.filter { $0 != dropped })
        }
    }

    @Test func ownerIsTheFirstLiveCandidate() {
        let address = IPAddress("10.98.0.100")!
        #expect(OwnerElection.owner(among: Self.names, for: address) { _ in true } == "n2")
        #expect(OwnerElection.owner(among: Self.names, for: address) { $0 != "n2" } == "n1")
        #expect(OwnerElection.owner(among: Self.names, for: address) { $0 == "node-a" } == "node-a")
        #expect(OwnerElection.owner(among: Self.names, for: address) { _ in false } == nil)
        #expect(OwnerElection.ranking(of: [], for: address).isEmpty)
    }
}
