public import LBKernel
import ServiceLifecycle
import ServiceLifecycleTestKit

/// A conformance check any ``Announcer`` can be run against: idempotent sets, the empty set withdraws
/// everything, and `run()` ends (after withdrawing) on graceful shutdown.
///
/// The check cannot see the network, so the caller says how to read what the announcer currently announces
/// (for a BGP announcer: the routes a peer received; for Layer 2: the addresses it answers for).
public struct AnnouncerConformance: Sendable {
    /// One rule the announcer broke.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The rule.
        public var rule: String
        /// What was seen.
        public var detail: String
        /// `rule: detail`.
        public var description: String { "\(rule): \(detail)" }
    }

    /// The node the sets are for.
    public var node: String
    /// The sets to apply, in order; the last one must be non-empty. A default pair is provided.
    public var sets: [DesiredSet]

    /// Creates a check with two small non-empty sets for `node`.
    public init(node: String = "node-a", sets: [DesiredSet]? = nil) {
        self.node = node
        self.sets = sets ?? AnnouncerConformance.sampleSets(node: node)
    }

    /// Two sets that differ by one service, with Layer 2 and BGP parts.
    public static func sampleSets(node: String) -> [DesiredSet] {
        func announcement(_ name: String, _ address: String) -> ServiceAnnouncement {
            let ip = IPAddress(address)!
            return ServiceAnnouncement(
                service: ServiceID(namespace: "default", name: name), addresses: [ip], pool: "default",
                layer2: Layer2Announcement(candidates: [node]),
                bgp: [BGPRoute(prefix: IPPrefix(address: ip, length: ip.family.bitWidth)!, advertisement: "default")])
        }
        let a = announcement("a", "10.10.0.1"), b = announcement("b", "fd00::10"), c = announcement("c", "10.10.0.3")
        return [DesiredSet(node: node, services: [a.service: a, b.service: b]),
                DesiredSet(node: node, services: [a.service: a, c.service: c])]
    }

    /// Runs the check.
    ///
    /// - Parameters:
    ///   - announcer: a fresh announcer, not yet running.
    ///   - announced: reads the addresses the announcer announces right now (waiting as long as the
    ///     announcer needs to settle, within reason).
    /// - Returns: the rules broken; empty when the announcer conforms.
    public func run(_ announcer: some Announcer,
                    announced: @escaping @Sendable () async throws -> Set<IPAddress>) async throws -> [Failure] {
        var failures: [Failure] = []
        func expect(_ rule: String, _ wanted: Set<IPAddress>, _ seen: Set<IPAddress>) {
            if wanted != seen {
                failures.append(Failure(rule: rule, detail: "expected \(wanted.sorted()), announced \(seen.sorted())"))
            }
        }
        let (ended, endedContinuation) = AsyncStream<Result<Void, any Error>>.makeStream()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do { try await announcer.run(); endedContinuation.yield(.success(())) } catch {
                        endedContinuation.yield(.failure(error))
                    }
                    endedContinuation.finish()
                }
                for set in sets {
                    let wanted = Set(set.services.values.flatMap(\.addresses))
                    try await announcer.apply(set)
                    expect("apply makes the announced state equal to the set", wanted, try await announced())
                    try await announcer.apply(set)
                    expect("applying the same set again changes nothing", wanted, try await announced())
                }
                try await announcer.apply(.empty(node: node))
                expect("an empty set withdraws everything", [], try await announced())
                try await announcer.apply(sets.last!)
                trigger.triggerGracefulShutdown()
                let outcome = try await withTimeout(.seconds(30), waitingFor: "run() to end on graceful shutdown") {
                    var iterator = ended.makeAsyncIterator()
                    return await iterator.next()
                }
                switch outcome {
                case .failure(let error)?:
                    failures.append(Failure(rule: "run() ends cleanly on graceful shutdown", detail: "threw \(error)"))
                case .success?, nil:
                    break
                }
                expect("graceful shutdown withdraws everything", [], try await announced())
                try await group.waitForAll()
            }
        }
        return failures
    }
}
