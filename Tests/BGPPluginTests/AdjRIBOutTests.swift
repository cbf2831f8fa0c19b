import LBKernel
import Testing
@testable import BGPPlugin

/// Attribute sets for Adj-RIB-Out sequences: `a`, `b`, `c` differ in communities; `v6` is an IPv6 set.
private enum Sets {
    static let nextHop = RouteAttributes.NextHop.ipv4(IPv4Address(10, 0, 0, 2))
    static let a = RouteAttributes(asPath: [64500], nextHop: nextHop)
    static let b = RouteAttributes(asPath: [64500], nextHop: nextHop, communities: [1])
    static let c = RouteAttributes(asPath: [64500], nextHop: nextHop, communities: [2])
    static let v6 = RouteAttributes(asPath: [64500], nextHop: .ipv6(global: IPv6Address("fd00::2")!, linkLocal: nil))

    static func named(_ name: Character) -> RouteAttributes {
        switch name {
        case "a": a
        case "b": b
        case "c": c
        default: v6
        }
    }
}

private func p(_ text: String) -> IPPrefix { IPPrefix(text)! }

/// `"a:10.0.0.1/32 b:10.0.0.2/32"` → a table.
private func table(_ text: String) -> [IPPrefix: RouteAttributes] {
    var result: [IPPrefix: RouteAttributes] = [:]
    for item in text.split(separator: " ") {
        let parts = item.split(separator: ":", maxSplits: 1)
        result[p(String(parts[1]))] = Sets.named(parts[0].first!)
    }
    return result
}

/// Changes in words: `+a[10.0.0.1/32,10.0.0.2/32] -ipv4-unicast[10.0.0.3/32]`, announcements in their order.
private func render(_ changes: AdjRIBOut.Changes) -> String {
    var words: [String] = []
    for group in changes.announcements {
        let name = [("a", Sets.a), ("b", Sets.b), ("c", Sets.c), ("v6", Sets.v6)]
            .first { $0.1 == group.attributes }?.0 ?? "?"
        words.append("+\(name)[\(group.prefixes.map(\.description).joined(separator: ","))]")
    }
    for family in changes.withdrawals.keys.sorted() {
        words.append("-\(family)[\(changes.withdrawals[family]!.map(\.description).joined(separator: ","))]")
    }
    return words.joined(separator: " ")
}

@Suite("Adj-RIB-Out")
struct AdjRIBOutTests {
    /// Each case: a name, then steps of the desired table and the changes expected.
    static let sequences: [(name: String, steps: [(desired: String, changes: String)])] = [
        ("first table: everything announced, grouped by attributes",
         [("a:10.0.0.1/32 a:10.0.0.2/32 b:10.0.0.3/32", "+a[10.0.0.1/32,10.0.0.2/32] +b[10.0.0.3/32]")]),
        ("the same table again: nothing",
         [("a:10.0.0.1/32", "+a[10.0.0.1/32]"), ("a:10.0.0.1/32", "")]),
        ("a new prefix: only it",
         [("a:10.0.0.1/32", "+a[10.0.0.1/32]"), ("a:10.0.0.1/32 a:10.0.0.9/32", "+a[10.0.0.9/32]")]),
        ("changed attributes: re-announced with the new ones, no withdrawal (implicit withdraw)",
         [("a:10.0.0.1/32 a:10.0.0.2/32", "+a[10.0.0.1/32,10.0.0.2/32]"),
          ("a:10.0.0.1/32 c:10.0.0.2/32", "+c[10.0.0.2/32]")]),
        ("a prefix gone: withdrawn in its family",
         [("a:10.0.0.1/32 v6:2001:db8::1/128", "+a[10.0.0.1/32] +v6[2001:db8::1/128]"),
          ("v6:2001:db8::1/128", "-ipv4-unicast[10.0.0.1/32]"),
          ("", "-ipv6-unicast[2001:db8::1/128]")]),
        ("withdrawals and announcements together",
         [("a:10.0.0.1/32 b:10.0.0.2/32", "+a[10.0.0.1/32] +b[10.0.0.2/32]"),
          ("b:10.0.0.1/32 a:10.0.0.3/32", "+b[10.0.0.1/32] +a[10.0.0.3/32] -ipv4-unicast[10.0.0.2/32]")]),
        ("an attribute set used again after it was released",
         [("a:10.0.0.1/32", "+a[10.0.0.1/32]"), ("b:10.0.0.1/32", "+b[10.0.0.1/32]"),
          ("a:10.0.0.1/32", "+a[10.0.0.1/32]")]),
    ]

    @Test(arguments: sequences)
    func sequence(name: String, steps: [(desired: String, changes: String)]) {
        var rib = AdjRIBOut()
        for (index, step) in steps.enumerated() {
            let changes = rib.update(to: table(step.desired))
            #expect(render(changes) == step.changes, "step \(index + 1) of \(name)")
            #expect(rib.routes == table(step.desired), "step \(index + 1) of \(name)")
        }
    }

    @Test func aResetSessionGetsTheFullTableNeverAStaleOne() {
        var rib = AdjRIBOut()
        _ = rib.update(to: table("a:10.0.0.1/32 a:10.0.0.2/32"))
        rib.reset()
        #expect(rib.isEmpty && rib.attributeSetCount == 0)
        // While the session was down, 10.0.0.2 went away and 10.0.0.3 came: the peer gets exactly the new set.
        let changes = rib.fullTable(RouteTable(table("a:10.0.0.1/32 b:10.0.0.3/32")))
        #expect(render(changes) == "+a[10.0.0.1/32] +b[10.0.0.3/32]")
        #expect(changes.withdrawals.isEmpty)
    }

    @Test func fullTableForgetsWhatWasSentBefore() {
        var rib = AdjRIBOut()
        _ = rib.update(to: table("a:10.0.0.1/32"))
        let changes = rib.fullTable(RouteTable(table("a:10.0.0.1/32")))
        #expect(render(changes) == "+a[10.0.0.1/32]")
    }

    @Test func routeRefreshResendsOneFamilyWithoutChangingAnything() {
        var rib = AdjRIBOut()
        _ = rib.update(to: table("a:10.0.0.1/32 b:10.0.0.2/32 v6:2001:db8::1/128"))
        #expect(render(rib.refresh(.ipv4Unicast)) == "+a[10.0.0.1/32] +b[10.0.0.2/32]")
        #expect(render(rib.refresh(.ipv6Unicast)) == "+v6[2001:db8::1/128]")
        #expect(render(rib.update(to: table("a:10.0.0.1/32 b:10.0.0.2/32 v6:2001:db8::1/128"))) == "")
    }

    @Test func unusedAttributeSetsAreReleased() {
        var rib = AdjRIBOut()
        _ = rib.update(to: table("a:10.0.0.1/32 b:10.0.0.2/32 c:10.0.0.3/32"))
        #expect(rib.attributeSetCount == 3)
        _ = rib.update(to: table("a:10.0.0.1/32 a:10.0.0.2/32"))
        #expect(rib.attributeSetCount == 1)
        // A desired table's interned but unused set is not kept either.
        var desired = RouteTable(table("a:10.0.0.1/32"))
        _ = desired.intern(Sets.c)
        _ = rib.update(to: desired)
        #expect(rib.attributeSetCount == 1)
    }

    @Test func changesGiveTheGroupsUpdatePackingTakes() {
        var rib = AdjRIBOut()
        let changes = rib.update(to: table("b:10.0.0.2/32 v6:2001:db8::1/128"))
        let groups = changes.attributeGroups
        #expect(groups.count == 2)
        #expect(groups[0].family == .ipv4Unicast && groups[0].prefixes == [p("10.0.0.2/32")])
        #expect(groups[0].attributes == Sets.b.pathAttributes)
        #expect(groups[1].family == .ipv6Unicast && groups[1].attributes.mpReach?.nextHops.count == 1)
        #expect(changes.announcedCount == 2 && changes.withdrawnCount == 0)
        #expect(changes.description == "+2 -0 (ipv4-unicast, ipv6-unicast)")
    }

    /// 100,000 routes in 4 groups; one prefix changes group: the diff is that one prefix, and cheap.
    @Test func oneChangeIn100kRoutesIsOnePrefix() {
        var desired = RouteTable()
        let sets = [Sets.a, Sets.b, Sets.c, Sets.v6]
        let ids = sets.map { desired.intern($0) }
        var prefixes: [IPPrefix] = []
        prefixes.reserveCapacity(100_000)
        for i in 0..<100_000 {
            let group = i % 4
            let prefix = group == 3
                ? IPPrefix(address: .v6(IPv6Address(0x2001_0db8 << 96 | UInt128(i))), length: 128)!
                : IPPrefix(address: .v4(IPv4Address(0x0A00_0000 | UInt32(i))), length: 32)!
            prefixes.append(prefix)
            desired.insert(prefix, attributeIndex: ids[group])
        }
        var rib = AdjRIBOut()
        let full = rib.fullTable(desired)
        #expect(full.announcedCount == 100_000)
        #expect(full.announcements.count == 4)

        desired.insert(prefixes[0], attributeIndex: ids[1])
        let clock = ContinuousClock()
        var changes = AdjRIBOut.Changes()
        let elapsed = clock.measure { changes = rib.update(to: desired) }
        #expect(changes.announcements == [AdjRIBOut.Announcement(attributes: Sets.b, prefixes: [prefixes[0]])])
        #expect(changes.withdrawals.isEmpty)
        #expect(rib.count == 100_000 && rib.attributeSetCount == 4)

        desired.remove(prefixes[1])
        let withdrawal = rib.update(to: desired)
        #expect(withdrawal.announcements.isEmpty)
        #expect(withdrawal.withdrawals == [.ipv4Unicast: [prefixes[1]]])
        // Linear work: well under a second even in a debug build (quadratic would be minutes); 30 s of room for CI.
        #expect(elapsed < .seconds(30), "one change among 100,000 routes took \(elapsed)")
    }
}
