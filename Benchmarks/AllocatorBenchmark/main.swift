// lbd-bench: how fast the allocator is and how much memory it takes.
//
// Build and run in release mode:
//   swift build -c release --product lbd-bench --scratch-path .build-release && .build-release/release/lbd-bench
// Each figure is one line `name key=value …`. Times are the best of several runs. Every case runs in a child
// process of its own (`lbd-bench alloc <pool> <services>`, `lbd-bench reconcile <pool> <kind>`), so its peak RSS (VmHWM
// from /proc/self/status) is its own. The last line says whether the targets were met:
// ≤ 5 µs per allocation at 100,000 services, a 100k/10k total cost ratio ≤ 12, every 100k reconcile ≤ 1 s,
// peak RSS ≤ 200 MiB.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LBKernel

/// The pools benchmarked, by label.
let pools: [(label: String, block: String, family: IPFamily)] = [
    ("ipv4/12", "10.0.0.0/12", .ipv4),
    ("ipv6/64", "2001:db8::/64", .ipv6),
]
let sizes = [1_000, 10_000, 100_000]

/// A policy with one pool named `name` holding `block`.
func policy(_ block: String, name: String = "bench") -> Policy {
    Policy(pools: [AddressPool(name: name, addresses: [try! AddressBlock(parsing: block)])])
}

/// `count` services in 100 namespaces, single stack of `family`, each on TCP/80.
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
        fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        withExtendedLifetime(state) {}
    }
    return fastest
}

/// The peak resident set size in MiB (VmHWM from /proc/self/status), or 0 where unavailable.
func peakRSSMiB() -> Double {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("VmHWM:") else { continue }
        return (text.split(separator: " ").lazy.compactMap { Double($0) }.first ?? 0) / 1024
    }
    return 0
}

/// `value` with `digits` decimals.
func format(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let whole = Int((value * scale).rounded())
    let text = String(whole)
    guard digits > 0 else { return text }
    let padded = String(repeating: "0", count: max(0, digits + 1 - text.count)) + text
    return "\(padded.dropLast(digits)).\(padded.suffix(digits))"
}

/// One output line.
func line(_ name: String, _ fields: [(String, String)]) -> String {
    ([name] + fields.map { "\($0.0)=\($0.1)" }).joined(separator: " ")
}

/// Runs this program again with `arguments` and returns what it printed.
func child(_ arguments: [String]) -> String {
    let path = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : CommandLine.arguments[0]
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fatalError("pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    let argv = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { fatalError("cannot run \(path)") }
    posix_spawn_file_actions_destroy(&actions)
    close(fds[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fds[0], &buffer, buffer.count)
        if n <= 0 { break }
        output += buffer[0..<n]
    }
    close(fds[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return String(decoding: output, as: UTF8.self)
}

/// The value of `key=` in an output line.
func field(_ key: String, in text: String) -> Double? {
    for part in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where part.hasPrefix(key + "=") {
        return Double(part.dropFirst(key.count + 1))
    }
    return nil
}

/// Child: allocate `size` services from scratch on pool `p`.
func allocCase(_ p: Int, _ size: Int) {
    let pool = pools[p]
    let thePolicy = policy(pool.block)
    let input = services(size, family: pool.family)
    let elapsed = best(of: size >= 100_000 ? 7 : 10, setUp: { PoolAllocator() }) { allocator in
        let outcome = allocator.reconcile(policy: thePolicy, services: input, recorded: [:])
        precondition(outcome.allocations.count == size, "every service gets an address")
    }
    print(line("alloc", [("pool", pool.label), ("services", "\(size)"),
                         ("us_per_alloc", format(elapsed * 1e6 / Double(size))),
                         ("total_ms", format(elapsed * 1e3)), ("peak_rss_mib", format(peakRSSMiB(), 1))]))
}

/// Child: one kind of reconcile of 100,000 services on pool `p`, with 100,000 allocated before it:
/// `unchanged` (same inputs again), `restart` (a fresh allocator given the allocations as recorded),
/// `pool_renamed` (every address re-homed), `add` (the marginal cost of adding 10,000 new services).
func reconcileCase(_ p: Int, _ kind: String) {
    let pool = pools[p]
    let thePolicy = policy(pool.block)
    let input = services(100_000, family: pool.family)
    var warm = PoolAllocator()
    var recorded = warm.reconcile(policy: thePolicy, services: input, recorded: [:]).allocations.mapValues(\.addresses)
    let elapsed: Double
    switch kind {
    case "unchanged":
        elapsed = best(of: 5, setUp: { warm }) { allocator in
            precondition(allocator.reconcile(policy: thePolicy, services: input, recorded: recorded).changed.isEmpty)
        }
    case "restart":
        warm = PoolAllocator()
        elapsed = best(of: 3, setUp: { PoolAllocator() }) { allocator in
            let outcome = allocator.reconcile(policy: thePolicy, services: input, recorded: recorded)
            precondition(outcome.allocations.allSatisfy { recorded[$0.key] == $0.value.addresses })
        }
    case "pool_renamed":
        let renamed = policy(pool.block, name: "renamed")
        elapsed = best(of: 3, setUp: { warm }) { allocator in
            let outcome = allocator.reconcile(policy: renamed, services: input, recorded: recorded)
            precondition(outcome.changed.count == 100_000 && outcome.failures.isEmpty)
        }
    default:
        // The marginal cost of an allocation with 100,000 addresses in use: (reconcile adding 10,000 services −
        // reconcile of the same 100,000 unchanged) / 10,000. Each run starts from an allocator that owns its
        // storage alone (built untimed, its answer dropped), as in a daemon that keeps no old answers around, and
        // that has already grown its tables once (10,000 other services came and went), so one-off growth is not timed.
        warm = PoolAllocator()
        recorded = [:]
        let others = input + services(10_000, family: pool.family, offset: 200_000)
        let owned = { () -> PoolAllocator in
            var allocator = PoolAllocator()
            _ = allocator.reconcile(policy: thePolicy, services: input, recorded: [:])
            _ = allocator.reconcile(policy: thePolicy, services: others, recorded: [:])
            _ = allocator.reconcile(policy: thePolicy, services: input, recorded: [:])
            return allocator
        }
        let base = best(of: 5, setUp: owned) { allocator in
            precondition(allocator.reconcile(policy: thePolicy, services: input, recorded: recorded).changed.isEmpty)
        }
        let more = input + services(10_000, family: pool.family, offset: 100_000)
        elapsed = best(of: 5, setUp: owned) { allocator in
            precondition(allocator.reconcile(policy: thePolicy, services: more, recorded: recorded).changed.count == 10_000)
        }
        print(line("alloc_incremental", [("pool", pool.label), ("in_use", "100000"), ("added", "10000"),
                                         ("us_per_alloc", format(max(0, elapsed - base) * 1e6 / 10_000)),
                                         ("reconcile_ms", format(elapsed * 1e3)),
                                         ("peak_rss_mib", format(peakRSSMiB(), 1))]))
        return
    }
    print(line("reconcile", [("pool", pool.label), ("services", "100000"), ("kind", kind),
                             ("ms", format(elapsed * 1e3)), ("peak_rss_mib", format(peakRSSMiB(), 1))]))
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "alloc":
    allocCase(Int(arguments[1])!, Int(arguments[2])!)
case "reconcile":
    reconcileCase(Int(arguments[1])!, arguments[2])
default:
    var misses: [String] = []
    for p in pools.indices {
        var totals: [Int: Double] = [:]
        for size in sizes {
            let output = child(["alloc", "\(p)", "\(size)"])
            print(output, terminator: "")
            totals[size] = field("total_ms", in: output) ?? .infinity
            if size == 100_000 {
                if (field("us_per_alloc", in: output) ?? .infinity) > 5 { misses.append("us_per_alloc") }
                if (field("peak_rss_mib", in: output) ?? .infinity) > 200 { misses.append("peak_rss") }
                if (totals[size] ?? .infinity) > 1_000 { misses.append("scratch_reconcile") }
            }
        }
        let ratio = totals[100_000]! / totals[10_000]!
        print(line("alloc_ratio", [("pool", pools[p].label), ("total_100k_over_10k", format(ratio)),
                                   ("per_alloc_100k_over_10k", format(ratio / 10))]))
        print(line("reconcile", [("pool", pools[p].label), ("services", "100000"), ("kind", "scratch"),
                                 ("ms", format(totals[100_000]!))]))
        if ratio > 12 { misses.append("ratio") }
        for kind in ["unchanged", "restart", "pool_renamed", "add"] {
            let output = child(["reconcile", "\(p)", kind])
            print(output, terminator: "")
            if kind != "add" && (field("ms", in: output) ?? .infinity) > 1_000 { misses.append("reconcile") }
            if (field("peak_rss_mib", in: output) ?? .infinity) > 200 { misses.append("peak_rss") }
        }
    }
    print(line("targets", [("met", misses.isEmpty ? "yes" : "no"),
                           ("misses", misses.isEmpty ? "none" : misses.joined(separator: ","))]))
}
