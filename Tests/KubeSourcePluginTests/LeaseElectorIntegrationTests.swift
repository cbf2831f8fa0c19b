// LeaseElectorIntegrationTests: LeaseElector against the in-process KubeTestServer (TLS, a bearer token) with short
// timings: acquiring, exactly one leader among two, release on cancel, stepping down when renewals fail or the server
// hangs, and taking over a Lease whose holder died.
import Foundation
@testable import KubeSourcePlugin
import KubeTestServer
import Logging
import Synchronization
import Testing

/// A test server, a client, and a namespace of its own for one test's Lease.
private struct ElectionFixture {
    let server: KubeTestServer
    let client: KubeClient
    let namespace = "lbdk-\(UInt32.random(in: 0...UInt32.max))"
    static let leaseName = "lbd-allocator"

    init(requestTimeout: Duration = .seconds(10)) async throws {
        server = try KubeTestServer(tokens: ["t0ken": .full])
        try await server.start()
        let configuration = KubeConfiguration(server: server.url, certificateAuthorityPEM: Array(server.caPEM.utf8),
                                              token: .literal("t0ken"))
        client = try KubeClient(configuration: configuration, requestTimeout: requestTimeout)
    }

    func close() async {
        try? await client.shutdown()
        await server.shutdown()
    }

    /// Starts an elector with the short test timings: leaseDuration 2 s, renewDeadline 1500 ms, retryPeriod 200 ms.
    func start(_ identity: String) -> RunningElector {
        RunningElector(client: client, configuration: .init(
            namespace: namespace, name: Self.leaseName, identity: identity, leaseDuration: .seconds(2),
            renewDeadline: .milliseconds(1500), retryPeriod: .milliseconds(200)))
    }

    /// The Lease's spec field as stored, or nil.
    func spec(_ field: String) -> String? {
        guard let value = server.object(.leases, namespace: namespace, name: Self.leaseName)?[path: ["spec", field]]
        else { return nil }
        return value.stringValue ?? value.intValue.map(String.init)
    }

    /// The requests for the Lease the server has seen.
    var leaseRequests: [String] { server.requestLog.filter { $0.contains("/leases") } }
}

/// Runs one elector and records what its `roles` stream yielded.
private final class RunningElector: Sendable {
    let elector: LeaseElector
    let identity: String
    private let history = Mutex<[Bool]>([])
    private let streamFinished = Mutex(false)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(client: KubeClient, configuration: LeaseElector.Configuration) {
        identity = configuration.identity
        elector = LeaseElector(client: client, configuration: configuration,
                               logger: Logger(label: "test.lease.\(configuration.identity)"))
        let run = Task { [elector] in await elector.run() }
        let collect = Task { [self] in
            for await role in elector.roles { history.withLock { $0.append(role) } }
            streamFinished.withLock { $0 = true }
        }
        tasks.withLock { $0 = [run, collect] }
    }

    /// Every value `roles` yielded so far.
    var roles: [Bool] { history.withLock { $0 } }
    /// The last value `roles` yielded.
    var role: Bool? { roles.last }
    /// True once `roles` finished.
    var finished: Bool { streamFinished.withLock { $0 } }
    var isLeading: Bool { elector.isLeading }

    /// Cancels `run()` and waits until it returned (after its release) and `roles` finished.
    func stop() async {
        let tasks = self.tasks.withLock { $0 }
        tasks[0].cancel()
        for task in tasks { await task.value }
    }
}

/// True when `roles` starts not leading and every value differs from the one before: the role stream reports
/// changes only.
private func alternates(_ roles: [Bool]) -> Bool {
    roles.first == false && zip(roles, roles.dropFirst()).allSatisfy { $0 != $1 }
}

@Suite("Lease election against KubeTestServer", .serialized)
struct LeaseElectorIntegrationTests {
    @Test("one elector creates the Lease, leads, and releases it when cancelled")
    func acquireAndRelease() async throws {
        let fixture = try await ElectionFixture()
        let a = fixture.start("node-a")
        try await eventually("node-a leads", timeout: .seconds(30)) { a.isLeading && a.role == true }
        #expect(fixture.spec("holderIdentity") == "node-a")
        #expect(fixture.spec("leaseDurationSeconds") == "2")
        #expect(fixture.spec("leaseTransitions") == "0")
        let renewTime = try #require(fixture.spec("renewTime"))
        #expect(MicroTime(renewTime) != nil && renewTime.hasSuffix("Z") && renewTime.split(separator: ".").last?.count == 7,
                "MicroTime with six fractional digits: \(renewTime)")
        #expect(fixture.leaseRequests.contains {
            $0.hasPrefix("POST /apis/coordination.k8s.io/v1/namespaces/\(fixture.namespace)/leases")
        })
        // It keeps renewing: renewTime moves on while it leads.
        try await eventually("node-a renews", timeout: .seconds(30)) { fixture.spec("renewTime") != renewTime }
        // Still (or, after a stall of the test process longer than renewDeadline, again) the leader.
        try await eventually("node-a leads after renewing", timeout: .seconds(30)) { a.isLeading }

        await a.stop()
        #expect(alternates(a.roles) && a.roles.last == false && a.finished && !a.isLeading, "roles: \(a.roles)")
        #expect(fixture.spec("holderIdentity") == "", "released: \(fixture.spec("holderIdentity") ?? "-")")
        #expect(fixture.spec("leaseDurationSeconds") == "1")
        #expect(fixture.spec("leaseTransitions") == "0")
        await fixture.close()
    }

    @Test("with two electors exactly one leads at every sample, and the Lease names it")
    func exactlyOne() async throws {
        let fixture = try await ElectionFixture()
        let electors = [fixture.start("node-a"), fixture.start("node-b")]
        try await eventually("one leads", timeout: .seconds(30)) { electors.contains { $0.isLeading } }
        var leaders: Set<String> = []
        for _ in 0..<150 {
            let leading = electors.filter(\.isLeading).map(\.identity)
            #expect(leading.count <= 1, "leaders: \(leading)")
            leaders.formUnion(leading)
            try await Task.sleep(for: .milliseconds(20))
        }
        // A stall of the test process longer than renewDeadline may move the role (never to two at once).
        #expect(!leaders.isEmpty)
        try await eventually("the Lease names a leader", timeout: .seconds(30)) {
            let holder = fixture.spec("holderIdentity")
            return electors.contains { $0.isLeading && $0.identity == holder }
        }
        for elector in electors { await elector.stop() }
        await fixture.close()
    }

    @Test("when the leader is cancelled it releases the Lease and the other takes over")
    func handover() async throws {
        let fixture = try await ElectionFixture()
        let electors = [fixture.start("node-a"), fixture.start("node-b")]
        try await eventually("one leads", timeout: .seconds(30)) { electors.contains { $0.isLeading } }
        let leader = try #require(electors.first { $0.isLeading })
        let follower = try #require(electors.first { !$0.isLeading })
        let transitions = try #require(fixture.spec("leaseTransitions").flatMap { Int($0) })

        await leader.stop()
        #expect(!leader.isLeading && leader.roles.last == false && leader.finished)
        #expect(fixture.spec("holderIdentity") != leader.identity, "released or already taken over")
        let released = ContinuousClock.now
        try await eventually("\(follower.identity) leads", timeout: .seconds(30)) {
            follower.isLeading && follower.role == true
        }
        print("\(follower.identity) led \(ContinuousClock.now - released) after the release")
        #expect(fixture.spec("holderIdentity") == follower.identity)
        #expect((fixture.spec("leaseTransitions").flatMap { Int($0) } ?? 0) >= transitions + 1)
        #expect(alternates(follower.roles) && follower.roles.last == true, "roles: \(follower.roles)")
        await follower.stop()
        await fixture.close()
    }

    @Test("a leader whose renewals fail (500s for longer than renewDeadline) steps down, then leads again")
    func renewalsFail() async throws {
        let fixture = try await ElectionFixture()
        let a = fixture.start("node-a")
        try await eventually("node-a leads", timeout: .seconds(30)) { a.isLeading && a.role == true }
        // About 6 s of attempts at one every 200 ms: far longer than renewDeadline (1.5 s).
        fixture.server.failNext(count: 30, status: 500, pathContaining: "/leases/\(ElectionFixture.leaseName)")
        try await eventually("node-a steps down", timeout: .seconds(30)) { !a.isLeading && a.role == false }
        try await eventually("node-a leads again", timeout: .seconds(30)) { a.isLeading && a.role == true }
        #expect(alternates(a.roles) && a.roles.count >= 4 && a.roles.last == true, "roles: \(a.roles)")
        // Nobody else took it meanwhile, so the same holder renewed: no new transition.
        #expect(fixture.spec("holderIdentity") == "node-a" && fixture.spec("leaseTransitions") == "0")
        await a.stop()
        await fixture.close()
    }

    @Test("a leader whose API server hangs steps down by its renew deadline, not the client's request timeout")
    func serverHangs() async throws {
        // The client would wait a minute; only the elector's own deadline can end the role in time.
        let fixture = try await ElectionFixture(requestTimeout: .seconds(60))
        let a = fixture.start("node-a")
        try await eventually("node-a leads", timeout: .seconds(30)) { a.isLeading && a.role == true }
        fixture.server.delayResponses(.seconds(60))
        try await eventually("node-a steps down while the server hangs", timeout: .seconds(30)) {
            !a.isLeading && a.role == false
        }
        fixture.server.delayResponses(.zero)
        try await eventually("node-a leads again", timeout: .seconds(30)) { a.isLeading }
        await a.stop()
        await fixture.close()
    }

    @Test("a Lease held by a dead identity is taken over once it has not changed for leaseDuration")
    func staleHolder() async throws {
        let fixture = try await ElectionFixture()
        let now = MicroTime(Date()).description
        try fixture.server.create(.leases, namespace: fixture.namespace, [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(ElectionFixture.leaseName), "namespace": .string(fixture.namespace)],
            "spec": ["holderIdentity": "dead", "leaseDurationSeconds": 2, "acquireTime": .string(now),
                     "renewTime": .string(now), "leaseTransitions": 5],
        ])
        let started = ContinuousClock.now
        let a = fixture.start("node-a")
        try await eventually("node-a has read the Lease", timeout: .seconds(30)) {
            fixture.leaseRequests.contains { $0.hasPrefix("GET ") }
        }
        #expect(!a.isLeading && fixture.spec("holderIdentity") == "dead")
        try await eventually("node-a takes over", timeout: .seconds(30)) { a.isLeading }
        #expect(ContinuousClock.now - started >= .seconds(2), "not before leaseDuration after it first saw the Lease")
        #expect(fixture.spec("holderIdentity") == "node-a")
        #expect(fixture.spec("leaseTransitions") == "6")
        #expect(fixture.spec("acquireTime") != now)
        await a.stop()
        await fixture.close()
    }
}
