import Testing
@testable import LBKernel

@Suite struct IntervalSetTests {
    @Test func emptySet() {
        let set = IntervalSet()
        #expect(set.isEmpty)
        #expect(set.count == 0)
        #expect(!set.contains(0))
        #expect(set.lowestAbsent(in: 0...10) == 0)
        #expect(set.lowestMember(in: 0...UInt128.max) == nil)
        #expect(set.interval(containing: 5) == nil)
    }

    @Test func adjacentValuesMerge() {
        var set = IntervalSet()
        set.insert(5)
        set.insert(7)
        #expect(set.intervals == [5...5, 7...7])
        set.insert(6)
        #expect(set.intervals == [5...7])
        set.insert(4)
        set.insert(8)
        #expect(set.intervals == [4...8])
        #expect(set.count == 5)
        #expect(set.interval(containing: 6) == 4...8)
    }

    @Test func insertIsIdempotent() {
        var set = IntervalSet([1, 2, 3])
        let changed1 = set.insert(2)
        #expect(!changed1)
        #expect(set.count == 3)
        #expect(set.intervals == [1...3])
    }

    @Test func removeSplitsAndShrinks() {
        var set = IntervalSet(0...9 as ClosedRange<UInt128>)
        let changed2 = set.remove(5)
        #expect(changed2)
        #expect(set.intervals == [0...4, 6...9])
        let changed3 = set.remove(0)
        #expect(changed3)
        let changed4 = set.remove(9)
        #expect(changed4)
        #expect(set.intervals == [1...4, 6...8])
        let changed5 = set.remove(5)
        #expect(!changed5)
        #expect(set.count == 7)
        for v in [1, 2, 3, 4, 6, 7, 8] as [UInt128] { let removed = set.remove(v); #expect(removed) }
        #expect(set.isEmpty)
        #expect(set.intervals.isEmpty)
    }

    @Test func zeroAndMaximumEdges() {
        var set = IntervalSet()
        set.insert(0)
        set.insert(UInt128.max)
        #expect(set.contains(0))
        #expect(set.contains(.max))
        #expect(set.lowestAbsent(in: 0...UInt128.max) == 1)
        #expect(set.lowestAbsent(in: (UInt128.max - 1)...UInt128.max) == UInt128.max - 1)
        #expect(set.lowestAbsent(in: UInt128.max...UInt128.max) == nil)
        #expect(set.lowestAbsent(in: 0...0) == nil)
        set.insert(UInt128.max - 1)
        #expect(set.intervals == [0...0, (UInt128.max - 1)...UInt128.max])
        #expect(set.lowestMember(in: 1...UInt128.max) == UInt128.max - 1)
        let changed6 = set.remove(UInt128.max)
        #expect(changed6)
        #expect(set.intervals == [0...0, (UInt128.max - 1)...(UInt128.max - 1)])
        #expect(set.lowestAbsent(in: (UInt128.max - 1)...UInt128.max) == UInt128.max)
    }

    @Test func lowestAbsentSkipsTheRunItStartsIn() {
        let set = IntervalSet([10, 11, 12, 20])
        #expect(set.lowestAbsent(in: 0...100) == 0)
        #expect(set.lowestAbsent(in: 10...100) == 13)
        #expect(set.lowestAbsent(in: 11...12) == nil)
        #expect(set.lowestAbsent(in: 13...19) == 13)
        #expect(set.lowestAbsent(in: 20...20) == nil)
        #expect(set.lowestAbsent(in: 20...21) == 21)
    }

    @Test func lowestMemberInRange() {
        let set = IntervalSet([10, 11, 12, 20])
        #expect(set.lowestMember(in: 0...9) == nil)
        #expect(set.lowestMember(in: 0...10) == 10)
        #expect(set.lowestMember(in: 11...30) == 11)
        #expect(set.lowestMember(in: 13...19) == nil)
        #expect(set.lowestMember(in: 13...25) == 20)
        #expect(set.lowestMember(in: 21...UInt128.max) == nil)
    }

    @Test func equalityIgnoresLayout() {
        var a = IntervalSet()
        for v in stride(from: 0 as UInt128, to: 3000, by: 2) { a.insert(v) }
        for v in stride(from: 1 as UInt128, to: 3000, by: 2) { a.insert(v) }
        let b = IntervalSet(0..<3000 as Range<UInt128>)
        #expect(a == b)
        #expect(a.intervals == [0...2999])
    }

    /// Thousands of scattered intervals split chunks; every answer must match a plain sorted set.
    @Test(arguments: [1 as UInt64, 2, 3])
    func matchesAPlainSetUnderChurn(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var set = IntervalSet()
        var plain = Set<UInt128>()
        for step in 0..<20_000 {
            let value = UInt128(rng.next() % 6_000)
            if rng.next() % 3 == 0 {
                let removed = set.remove(value)
                #expect(removed == (plain.remove(value) != nil))
            } else {
                let inserted = set.insert(value)
                #expect(inserted == plain.insert(value).inserted)
            }
            if step % 997 == 0 {
                #expect(set.count == plain.count)
                let probe = UInt128(rng.next() % 6_000)
                let absent = (probe...6_100).first { !plain.contains($0) }
                #expect(set.lowestAbsent(in: probe...6_100) == absent)
                let member = plain.filter { $0 >= probe }.min()
                #expect(set.lowestMember(in: probe...UInt128.max) == member)
            }
        }
        #expect(set.count == plain.count)
        #expect(set.intervalCount > IntervalSet.chunkLimit)
        let expanded = set.intervals.flatMap { Array($0) }
        #expect(expanded == plain.sorted())
        for (a, b) in zip(set.intervals, set.intervals.dropFirst()) { #expect(a.upperBound + 1 < b.lowerBound) }
    }
}
