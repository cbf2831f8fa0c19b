import LBKernel
import LBKernelTestKit
import Synchronization
import Testing

/// The built-in log announcer and the test kit's fakes pass the announcer conformance check.
struct AnnouncerConformanceTests {
    /// Rebuilds the announced addresses from the log announcer's lines.
    final class LineModel: Sendable {
        let announced = Mutex<[String: Set<IPAddress>]>([:])

        func consume(_ line: String) {
            let parts = line.split(separator: " ")
            guard parts.count >= 2 else { return }
            announced.withLock { state in
                switch parts[0] {
                case "+", "~":
                    state[String(parts[1])] = Set(parts[2].split(separator: ",").compactMap { IPAddress(String($0)) })
                case "-":
                    state[String(parts[1])] = nil
                default:
                    break
                }
            }
        }

        var addresses: Set<IPAddress> { announced.withLock { Set($0.values.flatMap { $0 }) } }
    }

    @Test func logAnnouncerConforms() async throws {
        let model = LineModel()
        let announcer = LogAnnouncer(name: "log", configuration: .init(prefix: false)) { model.consume($0) }
        let failures = try await AnnouncerConformance().run(announcer) { model.addresses }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func recordingAnnouncerConforms() async throws {
        let announcer = RecordingAnnouncer()
        let failures = try await AnnouncerConformance().run(announcer) {
            Set(announcer.current?.services.values.flatMap(\.addresses) ?? [])
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// An announcer that forgets to withdraw on shutdown must fail the check: the check itself can fail.
    final class ForgetfulAnnouncer: Announcer {
        let state = Mutex<Set<IPAddress>>([])
        func apply(_ desired: DesiredSet) async throws {
            state.withLock { $0 = Set(desired.services.values.flatMap(\.addresses)) }
        }
        func run() async throws {}
    }

    @Test func theCheckCatchesAnAnnouncerThatDoesNotWithdraw() async throws {
        let announcer = ForgetfulAnnouncer()
        let failures = try await AnnouncerConformance().run(announcer) { announcer.state.withLock { $0 } }
        #expect(failures.map(\.rule) == ["graceful shutdown withdraws everything"])
    }

    @Test func logAnnouncerPrintsChanges() async throws {
        let lines = Mutex<[String]>([])
        let announcer = LogAnnouncer(name: "dry", configuration: .init()) { line in lines.withLock { $0.append(line) } }
        let sets = AnnouncerConformance.sampleSets(node: "n")
        try await announcer.apply(sets[0])
        try await announcer.apply(sets[1])
        try await announcer.apply(sets[1])
        #expect(lines.withLock { $0 } == [
            "[dry] + default/a 10.10.0.1 pool=default layer2(candidates=n interfaces=all) bgp(10.10.0.1/32)",
            "[dry] + default/b fd00::10 pool=default layer2(candidates=n interfaces=all) bgp(fd00::10/128)",
            "[dry] - default/b",
            "[dry] + default/c 10.10.0.3 pool=default layer2(candidates=n interfaces=all) bgp(10.10.0.3/32)",
        ])
    }
}
