// lbd-kube-bench: the Kubernetes source's figures (issue 5), lbd (a release build) against the API test server.
//
//   make kube-bench                    # release builds of lbd and this benchmark, then every figure
//   .build-release/release/lbd-kube-bench --lbd .build-release/release/lbd --runs 50
//
// The API test server runs in this process (TLS, a bearer token); lbd runs as a child process with the Kubernetes
// source (leader election on, short timing) and the log announcer. Figures: (1) one Service at a time, from the
// POST's response to the ingress address in a watch event, p50/p90/p99/max (target p99 ≤ 50 ms); (2) 1,000 Services
// created at once, from the first POST to the last address (≤ 3 s); (3) lbd's RSS watching 10,000 Services
// (≤ 50 MiB). Each figure is one line, with the load average (the machine may be shared); a table ends the run.
// docs/kubernetes-benchmark.md says how it measures and what it found.
//
// BenchOptions      the command line
// BenchCluster      the server, its seed objects, lbd's files and process, the Lease
// APIClient         HTTPS/1.1 keep-alive connections with the bearer token (SwiftNIO, NIOSSL)
// ServiceWatch      the watch on Services that stamps when each got an address; StatusTracker holds the stamps
// Benchmark         the figures; RequestCounts and ProcessStats the evidence printed with them
import Foundation
import LabKit
#if canImport(Glibc)
import Glibc
#endif

let options: BenchOptions
do {
    options = try BenchOptions(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
say("lbd-kube-bench \(ISO8601DateFormatter().string(from: Date())): lbd \(options.lbd), coalescingDelay "
    + "\(options.coalescing)ms; \(ProcessStats.loadAverage)")
let clusterStart = ContinuousClock.now
let cluster: BenchCluster
do {
    cluster = try await BenchCluster.start(lbd: options.lbd, namespaces: Benchmark.namespaces,
                                           coalescing: options.coalescing)
} catch {
    FileHandle.standardError.write(Data("lbd-kube-bench: \(error)\n".utf8))
    exit(1)
}

// Ctrl-C: stop lbd (our child, by its pid) and remove the temporary directory before exiting.
signal(SIGINT, SIG_IGN)
let interrupt = DispatchSource.makeSignalSource(signal: SIGINT)
interrupt.setEventHandler {
    cluster.lbd.send(SIGKILL)
    try? FileManager.default.removeItem(at: cluster.directory)
    exit(130)
}
interrupt.resume()

let tracker = StatusTracker()
var failed = false
do {
    let watch = ServiceWatch(client: cluster.client, tracker: tracker)
    let serviceChannel = try await cluster.client.connect()
    let eventChannel = try await cluster.client.connect()
    let watches = [
        Task { try await watch.services(on: serviceChannel) },
        Task { try await watch.events(in: Benchmark.singleNamespace, on: eventChannel) },
    ]
    defer { for task in watches { task.cancel() } }
    try await poll("the benchmark's watches to start", within: .seconds(10), every: .milliseconds(10)) {
        tracker.seen.watchesStarted == watches.count ? true : nil
    }
    let holder = try await cluster.waitForLease()
    let idle = try ProcessStats.memory(of: cluster.lbd.pid)
    say("lbd (pid \(cluster.lbd.pid)) holds the Lease as \(holder) \(ms((ContinuousClock.now - clusterStart).milliseconds)) "
          + "ms after it was started; idle \(idle.description)")

    var benchmark = Benchmark(options: options, cluster: cluster, tracker: tracker)
    try await benchmark.single()
    if options.burst > 0 { try await benchmark.burst() }
    if options.services > 0 { try await benchmark.memory() }
    say("lbd's warnings and errors: \(cluster.lbd.log.split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }.count) lines in its log")
    say("")
    say(benchmark.summary())
    say("\(ISO8601DateFormatter().string(from: Date())); \(ProcessStats.loadAverage)")
} catch {
    FileHandle.standardError.write(Data("lbd-kube-bench: \(error)\nlbd's log (last lines):\n\(cluster.lbd.logTail())\n".utf8))
    failed = true
}
await cluster.stop(keep: options.keep || failed)
exit(failed ? 1 : 0)
