/// A set of `UInt128` values stored as sorted, disjoint, non-adjacent closed intervals, so that membership, "lowest
/// value not in the set" and "lowest member at or above x" cost O(log n) in the number of intervals.
///
/// The intervals live in a list of chunks of at most ``chunkLimit`` intervals each, with the upper bound of every
/// chunk's last interval kept beside it: a lookup is two binary searches, and an insertion or removal moves at
/// most one chunk's worth of intervals (never the whole set), so the set stays fast when it fragments.
/// The allocator keeps one per address family of used addresses, and one per sharing group.
public struct IntervalSet: Sendable, Equatable, CustomStringConvertible {
    /// The most intervals a chunk holds before it is split in two.
    static let chunkLimit = 512

    /// The chunks of intervals, each non-empty and sorted; chunk `i` ends before chunk `i + 1` begins.
    private var chunks: [[ClosedRange<UInt128>]] = []
    /// `maxes[i]` is the upper bound of the last interval of `chunks[i]`.
    private var maxes: [UInt128] = []

    /// The number of values in the set.
    public private(set) var count: Int = 0

    /// A position: a chunk and an index inside it.
    private struct Position {
        var chunk: Int
        var index: Int
    }

    /// Creates an empty set.
    public init() {}

    /// Creates a set holding `values`.
    public init(_ values: some Sequence<UInt128>) {
        for value in values { insert(value) }
    }

    /// True when the set holds no value.
    public var isEmpty: Bool { count == 0 }

    /// The maximal runs of consecutive members, in ascending order.
    public var intervals: [ClosedRange<UInt128>] { chunks.flatMap { $0 } }

    /// The number of maximal runs of consecutive members.
    public var intervalCount: Int { chunks.reduce(0) { $0 + $1.count } }

    /// The intervals, such as `[0...3, 7...7]`.
    public var description: String { "[" + intervals.map { "\($0.lowerBound)...\($0.upperBound)" }.joined(separator: ", ") + "]" }

    /// True when `value` is in the set.
    public func contains(_ value: UInt128) -> Bool {
        guard let p = firstPosition(upperAtLeast: value) else { return false }
        return chunks[p.chunk][p.index].lowerBound <= value
    }

    /// The maximal run of consecutive members that holds `value`, or nil when `value` is not in the set.
    public func interval(containing value: UInt128) -> ClosedRange<UInt128>? {
        guard let p = firstPosition(upperAtLeast: value) else { return nil }
        let interval = chunks[p.chunk][p.index]
        return interval.lowerBound <= value ? interval : nil
    }

    /// The lowest value of `range` that is not in the set, or nil when the set covers all of `range`.
    public func lowestAbsent(in range: ClosedRange<UInt128>) -> UInt128? {
        guard let p = firstPosition(upperAtLeast: range.lowerBound) else { return range.lowerBound }
        let interval = chunks[p.chunk][p.index]
        if interval.lowerBound > range.lowerBound { return range.lowerBound }
        // Intervals never touch, so the value after this one is absent.
        if interval.upperBound >= range.upperBound { return nil }
        return interval.upperBound + 1
    }

    /// The lowest member of the set inside `range`, or nil when no member lies there.
    public func lowestMember(in range: ClosedRange<UInt128>) -> UInt128? {
        guard let p = firstPosition(upperAtLeast: range.lowerBound) else { return nil }
        let candidate = max(chunks[p.chunk][p.index].lowerBound, range.lowerBound)
        return candidate <= range.upperBound ? candidate : nil
    }

    /// Adds `value`; returns false when it was already there.
    @discardableResult
    public mutating func insert(_ value: UInt128) -> Bool {
        guard let p = firstPosition(upperAtLeast: value) else {
            // After every interval: extend the last one or append.
            guard let c = chunks.indices.last else {
                chunks = [[value...value]]
                maxes = [value]
                count = 1
                return true
            }
            let last = chunks[c][chunks[c].count - 1]
            if last.upperBound + 1 == value {
                chunks[c][chunks[c].count - 1] = last.lowerBound...value
            } else {
                chunks[c].append(value...value)
            }
            maxes[c] = value
            count += 1
            splitIfNeeded(c)
            return true
        }
        let interval = chunks[p.chunk][p.index]
        if interval.lowerBound <= value { return false }
        // value < interval.lowerBound <= UInt128.max, so value + 1 does not overflow.
        let joinsRight = interval.lowerBound == value + 1
        let previous = position(before: p)
        // previous.upperBound < value, so + 1 does not overflow.
        let joinsLeft = previous.map { chunks[$0.chunk][$0.index].upperBound + 1 == value } ?? false
        switch (joinsLeft, joinsRight) {
        case (true, true):
            let left = previous!
            let lower = chunks[left.chunk][left.index].lowerBound
            set(left, to: lower...interval.upperBound)
            remove(at: p)
        case (true, false):
            let left = previous!
            set(left, to: chunks[left.chunk][left.index].lowerBound...value)
        case (false, true):
            set(p, to: value...interval.upperBound)
        case (false, false):
            chunks[p.chunk].insert(value...value, at: p.index)
            splitIfNeeded(p.chunk)
        }
        count += 1
        return true
    }

    /// Removes `value`; returns false when it was not there.
    @discardableResult
    public mutating func remove(_ value: UInt128) -> Bool {
        guard let p = firstPosition(upperAtLeast: value) else { return false }
        let interval = chunks[p.chunk][p.index]
        guard interval.lowerBound <= value else { return false }
        if interval.lowerBound == interval.upperBound {
            remove(at: p)
        } else if value == interval.lowerBound {
            set(p, to: (value + 1)...interval.upperBound)
        } else if value == interval.upperBound {
            set(p, to: interval.lowerBound...(value - 1))
        } else {
            set(p, to: interval.lowerBound...(value - 1))
            chunks[p.chunk].insert((value + 1)...interval.upperBound, at: p.index + 1)
            maxes[p.chunk] = chunks[p.chunk][chunks[p.chunk].count - 1].upperBound
            splitIfNeeded(p.chunk)
        }
        count -= 1
        return true
    }

    /// Removes every value.
    public mutating func removeAll() {
        chunks = []
        maxes = []
        count = 0
    }

    /// Two sets are equal when they hold the same values, however their chunks are laid out.
    public static func == (lhs: IntervalSet, rhs: IntervalSet) -> Bool {
        lhs.count == rhs.count && lhs.intervals == rhs.intervals
    }

    // MARK: - Positions

    /// The first interval whose upper bound is at least `value`, or nil when every interval ends below it.
    private func firstPosition(upperAtLeast value: UInt128) -> Position? {
        var low = 0, high = maxes.count
        while low < high {
            let mid = (low + high) / 2
            if maxes[mid] < value { low = mid + 1 } else { high = mid }
        }
        guard low < maxes.count else { return nil }
        let chunk = chunks[low]
        var a = 0, b = chunk.count - 1
        while a < b {
            let mid = (a + b) / 2
            if chunk[mid].upperBound < value { a = mid + 1 } else { b = mid }
        }
        return Position(chunk: low, index: a)
    }

    /// The position just before `p`, or nil at the very start.
    private func position(before p: Position) -> Position? {
        if p.index > 0 { return Position(chunk: p.chunk, index: p.index - 1) }
        if p.chunk > 0 { return Position(chunk: p.chunk - 1, index: chunks[p.chunk - 1].count - 1) }
        return nil
    }

    /// Replaces the interval at `p`, keeping `maxes` in step.
    private mutating func set(_ p: Position, to interval: ClosedRange<UInt128>) {
        chunks[p.chunk][p.index] = interval
        if p.index == chunks[p.chunk].count - 1 { maxes[p.chunk] = interval.upperBound }
    }

    /// Removes the interval at `p`, dropping its chunk when it empties.
    private mutating func remove(at p: Position) {
        chunks[p.chunk].remove(at: p.index)
        if chunks[p.chunk].isEmpty {
            chunks.remove(at: p.chunk)
            maxes.remove(at: p.chunk)
        } else {
            maxes[p.chunk] = chunks[p.chunk][chunks[p.chunk].count - 1].upperBound
        }
    }

    /// Splits chunk `c` in two halves when it has grown past the limit.
    private mutating func splitIfNeeded(_ c: Int) {
        guard chunks[c].count > IntervalSet.chunkLimit else { return }
        let half = chunks[c].count / 2
        let tail = Array(chunks[c][half...])
        chunks[c].removeSubrange(half...)
        chunks.insert(tail, at: c + 1)
        maxes[c] = chunks[c][half - 1].upperBound
        maxes.insert(tail[tail.count - 1].upperBound, at: c + 1)
    }
}
