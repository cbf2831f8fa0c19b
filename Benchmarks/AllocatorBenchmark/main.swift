// lbd-bench: how fast the allocator is and how much memory it takes.
//
// Build and run in release mode:
//   swift build -c release --product lbd-bench --scratch-path .build-release && .build-release/release/lbd-bench
// Each figure is one line `name key=value …`. Times are the best of several runs; peak RSS is the process's VmHWM,
// reset before each case where the kernel allows it (Linux `/proc/self/clear_refs`).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LBKernel

/// One address pool to benchmark against.
struct PoolCase {
    var label: String
    var block: String
}

let poolCases = [PoolCase(label: "ipv4/12", block: "10.0.0.0/12"), PoolCase(label: "ipv6/64", block: "2001:db8::/64")]
let sizes = [1_000, 10_000, 100_000]

/// A policy with one pool named `name` holding `block`.
func policy(_ block: String, name: String = "bench") -> Policy {
    // swiftlint:disable:next force_try
    Policy(pools: [AddressPool(name: name, addresses: [try! AddressBlock(parsing: block)])])
}

/// `count` services in 100 namespaces, single stack of the pool's family, each on TCP/80.
func services(_ count: Int, family: IPFamily, offset: Int = 0) -> [Service] {
    (offset..<(offset + count)).map { i in
        Service(id: ServiceID(namespace: "ns\(i % 100)", name: "svc-\(i)"), ports: [ServicePort(.tcp, 80)],
                ipFamilies: [family])
    }
}

/// Seconds taken by `body`, best of `runs`; `setUp` runs untimed before each run and hands its value to `body`.
func best<T>(of runs: Int, setUp: () -> T, _ body: (inout T) -> Void) -> Double {
    var fastest = Double.infinity
    for _ in 0..<runs {
        var state = setUp()
        let elapsed = ContinuousClock().measure { body(&state) }
        fastest = min(fastest, seconds(elapsed))
        withExtendedLifetime(state) {}
    }
    return fastest
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Resets the peak RSS counter (VmHWM) to the current RSS; false where the kernel does not allow it.
@discardableResult
func resetPeakRSS() -> Bool {
    guard let file = fopen("/proc/self/clear_refs", "w") else { return false }
    defer { fclose(file) }
    return fputs("5", file) >= 0
}

/// The peak resident set size in MiB (VmHWM from /proc/self/status), or 0 where unavailable.
func peakRSSMiB() -> Double {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("VmHWM:") else { continue }
        let kib = Double(text.split(separator: " ").dropFirst().first { Double($0) != nil }.flatMap { Double($0) } ?? 0)
        return kib / 1024
    }
    return 0
}

func format(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}

func emit(_ name: String, _ fields: [(String, String)]) {
    print(([name] + fields.map { "\($0.0)=\($0.1)" }).joined(separator: " "))
}

var failures = 0

for pool in poolCases {
    let family: IPFamily = pool.block.contains(":") ? .ipv6 : .ipv4
    let thePolicy = policy(pool.block)
    var totals: [Int: Double] = [:]

    for size in sizes {
        let input = services(size, family: family)
        resetPeakRSS()
        let runs = size >= 100_000 ? 3 : 5
        let elapsed = best(of: runs, setUp: { PoolAllocator() }) { allocator in
            let outcome = allocator.reconcile(policy: thePolicy, services: input, recorded: [:])
            precondition(outcome.allocations.count == size, "every service gets an address")
        }
        totals[size] = elapsed
        let usPerAlloc = elapsed * 1e6 / Double(size)
        let rss = peakRSSMiB()
        emit("alloc", [("pool", pool.label), ("services", "\(size)"), ("us_per_alloc", format(usPerAlloc)),
                       ("total_ms", format(elapsed * 1e3)), ("peak_rss_mib", format(rss, 1))])
        if size == 100_000 && (usPerAlloc > 5 || rss > 200) { failures += 1 }
    }
    let totalRatio = totals[100_000]! / totals[10_000]!
    emit("alloc_ratio", [("pool", pool.label), ("total_100k_over_10k", format(totalRatio)),
                         ("per_alloc_100k_over_10k", format(totalRatio / 10))])
    if totalRatio > 12 { failures += 1 }

    // Reconciles of 100,000 services: unchanged, from scratch, after a restart, after a pool rename, and adding 1,000.
    let input = services(100_000, family: family)
    var warm = PoolAllocator()
    let first = warm.reconcile(policy: thePolicy, services: input, recorded: [:])
    let recordedAll = first.allocations.mapValues(\.addresses)
    let unchanged = best(of: 5, setUp: { warm }) { allocator in
        let outcome = allocator.reconcile(policy: thePolicy, services: input, recorded: recordedAll)
        precondition(outcome.changed.isEmpty)
    }
    let scratch = totals[100_000]!
    let restart = best(of: 3, setUp: { PoolAllocator() }) { allocator in
        let outcome = allocator.reconcile(policy: thePolicy, services: input, recorded: recordedAll)
        precondition(outcome.allocations == first.allocations, "a restart keeps every address")
    }
    let renamed = policy(pool.block, name: "renamed")
    let rename = best(of: 3, setUp: { warm }) { allocator in
        let outcome = allocator.reconcile(policy: renamed, services: input, recorded: recordedAll)
        precondition(outcome.changed.count == 100_000 && outcome.failures.isEmpty)
    }
    let more = input + services(1_000, family: family, offset: 100_000)
    let incremental = best(of: 5, setUp: { warm }) { allocator in
        let outcome = allocator.reconcile(policy: thePolicy, services: more, recorded: recordedAll)
        precondition(outcome.changed.count == 1_000)
    }
    for (kind, time) in [("unchanged", unchanged), ("scratch", scratch), ("restart", restart),
                         ("pool_renamed", rename)] {
        emit("reconcile", [("pool", pool.label), ("services", "100000"), ("kind", kind), ("ms", format(time * 1e3))])
        if time > 1 { failures += 1 }
    }
    emit("alloc_incremental", [("pool", pool.label), ("in_use", "100000"), ("added", "1000"),
                               ("us_per_alloc", format(incremental * 1e6 / 1_000)),
                               ("reconcile_ms", format(incremental * 1e3))])
}

emit("targets", [("met", failures == 0 ? "yes" : "no"), ("misses", "\(failures)")])
