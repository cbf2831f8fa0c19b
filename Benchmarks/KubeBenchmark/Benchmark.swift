import Foundation
import KubeTestServer
import LabKit
import NIOHTTP1
import Synchronization

/// The three figures against one lbd: one Service at a time, a burst created at once, and memory with many
/// Services. Every Service is created with a POST over HTTPS, as a client would; "addressed" is the instant the
/// benchmark's own watch on Services (the server's watch stream) delivered the Service with an ingress address.
struct Benchmark {
    let options: BenchOptions
    let cluster: BenchCluster
    let tracker: StatusTracker
    /// The summary table's rows: figure, value, target, met.
    var rows: [(String, String, String, Bool?)] = []

    static let singleNamespace = "bench-single"
    static let burstNamespace = "bench-burst"
    static let memoryNamespace = "bench-memory"
    static let namespaces = [singleNamespace, burstNamespace, memoryNamespace]

    init(options: BenchOptions, cluster: BenchCluster, tracker: StatusTracker) {
        self.options = options
        self.cluster = cluster
        self.tracker = tracker
    }

    /// A LoadBalancer Service as `kubectl create` would send it.
    static func service(_ name: String, namespace: String) -> [UInt8] {
        Array(#"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},\#
            "spec":{"type":"LoadBalancer","selector":{"app":"\#(name)"},\#
            "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}]}}
            """#.utf8)
    }

    static func collection(_ namespace: String) -> String { "/api/v1/namespaces/\(namespace)/services" }

    private func waitAddressed(_ what: String, within limit: Duration,
                               until isDone: @escaping @Sendable (StatusTracker.Seen) -> Bool) async throws {
        let cluster = self.cluster
        try await tracker.wait(what, within: limit, abortIf: { try cluster.requireRunning() }, until: isDone)
    }

    // MARK: Figure 1

    /// One Service of figure 1: when its POST was sent and answered, and when its address was seen.
    struct Single {
        var key: String
        var sent: ContinuousClock.Instant
        var answered: ContinuousClock.Instant
        var addressed: ContinuousClock.Instant
    }

    /// Creates one Service and waits for its address.
    private func createOne(_ name: String, on connection: inout APIConnection) async throws -> Single {
        let sent = ContinuousClock.now
        let response = try await connection.request(.POST, Self.collection(Self.singleNamespace),
                                                     body: Self.service(name, namespace: Self.singleNamespace))
        guard response.status == 201 else {
            throw BenchError("creating \(Self.singleNamespace)/\(name) answered \(response.status): \(response.text)")
        }
        let key = "\(Self.singleNamespace)/\(name)"
        try await waitAddressed("\(key) to get an address", within: .seconds(30)) { $0.addressed[key] != nil }
        return Single(key: key, sent: sent, answered: response.received, addressed: tracker.seen.addressed[key]!)
    }

    /// Figure 1: `runs` Services, one at a time.
    mutating func single() async throws {
        let runs = options.runs, pause = Duration.milliseconds(options.pause)
        let (warmUp, results) = try await cluster.client.withConnection { connection in
            // One Service first, not counted: the first reconcile after the Lease, a new connection's setup.
            let warmUp = try await createOne("warm-up", on: &connection)
            var results: [Single] = []
            for run in 0..<runs {
                if pause > .zero { try await Task.sleep(for: pause) }
                results.append(try await createOne("single-\(run)", on: &connection))
            }
            return (warmUp, results)
        }
        let fromResponse = Percentiles(results.map { $0.addressed - $0.answered })
        let fromSend = Percentiles(results.map { $0.addressed - $0.sent })
        say("figure 1, one Service at a time (\(runs) runs\(pause > .zero ? ", \(options.pause) ms apart" : ""); "
            + "POST answered → ingress in the watch): "
            + "p50 \(ms(fromResponse.percentile(50))) ms, p90 \(ms(fromResponse.percentile(90))) ms, "
            + "p99 \(ms(fromResponse.percentile(99))) ms, max \(ms(fromResponse.max)) ms; "
            + "from the POST sent: p50 \(ms(fromSend.percentile(50))) ms, p99 \(ms(fromSend.percentile(99))) ms; "
            + "warm-up \(ms((warmUp.addressed - warmUp.answered).milliseconds)) ms; \(ProcessStats.loadAverage)")
        // Where the time goes: lbd's first Event about the Service (IPAllocated), as the Events watch saw it.
        let seen = tracker.seen
        let events = results.compactMap { run in
            seen.events[run.key].map { (afterAnswer: $0 - run.answered, afterAddress: $0 - run.addressed) }
        }
        if !events.isEmpty {
            let afterAnswer = Percentiles(events.map(\.afterAnswer))
            let afterAddress = Percentiles(events.map(\.afterAddress))
            say("  the Service's first Event (\(events.count) of \(runs) seen): p50 \(ms(afterAnswer.percentile(50))) ms "
                + "after the POST's answer (p99 \(ms(afterAnswer.percentile(99)))); Event minus ingress: p50 "
                + "\(ms(afterAddress.percentile(50))) ms (p1 \(ms(afterAddress.percentile(1))), p99 "
                + "\(ms(afterAddress.percentile(99))); negative: the Event came first)")
        }
        rows.append(("one Service, p50", "\(ms(fromResponse.percentile(50))) ms", "", nil))
        rows.append(("one Service, p99", "\(ms(fromResponse.percentile(99))) ms", "≤ 50 ms",
                     fromResponse.percentile(99) <= 50))
    }

    // MARK: Figures 2 and 3

    /// What creating many Services at once took.
    struct Burst {
        /// From the first POST sent to the last POST answered.
        var posted: Duration
        /// From the first POST sent to the first address seen.
        var firstAddressed: Duration
        /// … to half of them addressed.
        var halfAddressed: Duration
        /// … to all of them addressed.
        var allAddressed: Duration
        /// lbd's CPU time during the burst (until all addressed), in seconds.
        var lbdCPU: Double
        /// This process's CPU time meanwhile (the API server, its TLS, the client and the watch), in seconds.
        var serverCPU: Double
        /// The API requests made meanwhile.
        var requests: RequestCounts
        /// Addresses seen per 100 ms window, from the first: how the status writes are spread.
        var perWindow: [Int]
    }

    /// Creates `count` Services in `namespace` at once over `connections` connections (opened beforehand), and
    /// waits until every one is addressed.
    func burst(_ count: Int, in namespace: String, prefix: String) async throws -> Burst {
        let client = cluster.client
        let connections = min(options.connections, count)
        var channels: [APIChannel] = []
        for _ in 0..<connections { channels.append(try await client.connect()) }
        let requestsBefore = cluster.server.requestLog.count
        let cpuBefore = ProcessStats.cpuSeconds(of: cluster.lbd.pid)
        let serverCPUBefore = ProcessStats.cpuSeconds(of: getpid())
        let start = ContinuousClock.now
        let lastAnswer = try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
            for (index, channel) in channels.enumerated() {
                let names = stride(from: index, to: count, by: connections).map { "\(prefix)-\($0)" }
                group.addTask {
                    try await client.withConnection(channel) { connection in
                        var last = start
                        for name in names {
                            let response = try await connection.request(
                                .POST, Self.collection(namespace), body: Self.service(name, namespace: namespace))
                            guard response.status == 201 else {
                                throw BenchError("creating \(namespace)/\(name) answered \(response.status): "
                                                 + response.text)
                            }
                            last = response.received
                        }
                        return last
                    }
                }
            }
            var last = start
            for try await answered in group { last = max(last, answered) }
            return last
        }
        try await waitAddressed("\(count) Services in \(namespace) to get addresses",
                                within: .seconds(max(120, count / 20))) { $0.perNamespace[namespace, default: 0] >= count }
        let cpu = ProcessStats.cpuSeconds(of: cluster.lbd.pid) - cpuBefore
        let serverCPU = ProcessStats.cpuSeconds(of: getpid()) - serverCPUBefore
        let times = tracker.seen.addressed.filter { $0.key.hasPrefix(namespace + "/") }.values.sorted()
        let requests = RequestCounts(cluster.server.requestLog.dropFirst(requestsBefore))
        var perWindow: [Int] = []
        for time in times {
            let window = Int((time - times[0]).milliseconds / 100)
            while perWindow.count <= window { perWindow.append(0) }
            perWindow[window] += 1
        }
        return Burst(posted: lastAnswer - start, firstAddressed: times[0] - start,
                     halfAddressed: times[(times.count - 1) / 2] - start, allAddressed: times.last! - start,
                     lbdCPU: cpu, serverCPU: serverCPU, requests: requests, perWindow: perWindow)
    }

    private func describe(_ burst: Burst, count: Int) -> String {
        "all \(count) POSTs answered after \(ms(burst.posted.milliseconds)) ms, first address after "
            + "\(ms(burst.firstAddressed.milliseconds)) ms, half after \(ms(burst.halfAddressed.milliseconds)) ms, "
            + "all after \(ms(burst.allAddressed.milliseconds)) ms; CPU: lbd \(String(format: "%.2f", burst.lbdCPU)) s, "
            + "API server and benchmark \(String(format: "%.2f", burst.serverCPU)) s"
    }

    private func details(_ burst: Burst) {
        say("  api requests meanwhile: \(burst.requests)")
        let shown = burst.perWindow.prefix(40).map(String.init).joined(separator: " ")
        say("  addresses seen per 100 ms from the first: \(shown)\(burst.perWindow.count > 40 ? " …" : "")")
    }

    /// Figure 2: `burst` Services created at once.
    mutating func burst() async throws {
        let count = options.burst
        let result = try await burst(count, in: Self.burstNamespace, prefix: "burst")
        say("figure 2, \(count) Services created at once (\(min(options.connections, count)) connections): "
              + describe(result, count: count) + "; \(ProcessStats.loadAverage)")
        details(result)
        rows.append(("\(count) at once, all addressed", "\(ms(result.allAddressed.milliseconds)) ms",
                     count == 1000 ? "≤ 3000 ms" : "", count == 1000 ? result.allAddressed <= .seconds(3) : nil))
    }

    /// Figure 3: lbd's memory watching `services` Services: the earlier figures' Services are deleted, then
    /// `services` are created at once; RSS is read once all are addressed and again when lbd has settled (idle,
    /// then 3 s for its deferred heap trim).
    mutating func memory() async throws {
        let count = options.services
        let server = cluster.server
        for namespace in [Self.singleNamespace, Self.burstNamespace] {
            for object in server.objects(.services, namespace: namespace) {
                if let name = object[path: ["metadata", "name"]]?.stringValue {
                    try server.delete(.services, namespace: namespace, name: name)
                }
            }
        }
        try await waitIdle()
        let before = try ProcessStats.memory(of: cluster.lbd.pid)
        let result = try await burst(count, in: Self.memoryNamespace, prefix: "svc")
        let atDone = try ProcessStats.memory(of: cluster.lbd.pid)
        try await waitIdle()
        // Settled: lbd returns the heap its rebuilds freed 2 s after the last one (HeapTrimmer), so read after 3 s.
        try await Task.sleep(for: .seconds(3))
        let settled = try ProcessStats.memory(of: cluster.lbd.pid)
        say("figure 3, lbd watching \(count) Services: \(settled.description) settled (idle + 3 s); \(atDone.description) "
              + "when the last was addressed; \(before.description) before they were created; "
              + "\(ProcessStats.loadAverage)")
        say("figure 3, the \(count) created at once: " + describe(result, count: count))
        details(result)
        let target = count == 10_000
        rows.append(("RSS watching \(count) Services", "\(ProcessStats.mib(settled.rssKiB)) MiB "
                     + "(peak \(ProcessStats.mib(settled.peakKiB)))", target ? "≤ 50 MiB" : "",
                     target ? settled.rssKiB <= 50 * 1024 : nil))
        rows.append(("\(count) at once, all addressed", "\(ms(result.allAddressed.milliseconds)) ms", "", nil))
    }

    /// Waits (bounded, 60 s) until lbd has used less than 10 ms of CPU over 500 ms: done with what it was given.
    func waitIdle() async throws {
        let pid = cluster.lbd.pid
        var last = ProcessStats.cpuSeconds(of: pid)
        try await poll("lbd to become idle", within: .seconds(60), every: .milliseconds(500),
                       abortIf: { try cluster.requireRunning() }) { () -> Bool? in
            let now = ProcessStats.cpuSeconds(of: pid)
            defer { last = now }
            return now - last < 0.01 ? true : nil
        }
    }

    /// The summary table.
    func summary() -> String {
        var lines = ["| figure | value | target | met |", "|---|---|---|---|"]
        for (figure, value, target, met) in rows {
            lines.append("| \(figure) | \(value) | \(target) | \(met.map { $0 ? "yes" : "NO" } ?? "") |")
        }
        return lines.joined(separator: "\n")
    }
}
