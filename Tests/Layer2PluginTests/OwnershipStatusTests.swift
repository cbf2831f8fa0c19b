import Foundation
import LBKernel
import Testing
@testable import Layer2Plugin

/// The status summary: what `lbd` shows and the status file holds.
@Suite struct OwnershipStatusTests {
    /// n1 took over a (10.98.0.100 and fd00:98::100) when n2 died at t = 10 s; the status is read at t = 13 s.
    @Test func summarisesTheTakeover() throws {
        var n1 = readyMachine([l2Service("a", [vip100, vip6], interfaces: ["eth1", "eth0"])], live: ["n2", "n3"])
        _ = n1.membership(live: ["n3"], at: t(10_000))
        let status = n1.status(at: t(13_000), wallClock: 1_700_000_003_123_000_000)
        #expect(status == OwnershipStatus(node: "n1", ready: true, shuttingDown: false, live: ["n3"], services: [
            OwnershipStatus.Service(
                service: sid("a"), addresses: [vip100, vip6], interfaces: ["eth0", "eth1"],
                ranking: ["n2", "n1", "n3"], live: ["n1", "n3"], owner: "n1", state: .owned,
                since: "2023-11-14T22:13:20.123Z", reason: .ownerDied, reasonDetail: "n2", awaitingClaims: []),
        ]))
    }

    /// The JSON the status file holds: the service as `namespace/name`, addresses as text, enums as names.
    @Test func encodesAsJSON() throws {
        var n1 = readyMachine([l2Service("a", [vip100, vip6])], live: ["n3"])
        _ = n1.membership(live: ["n2", "n3"], joined: ["n2"], at: t(1000))
        _ = n1.claimObserved(claim(vip100), at: t(1100))
        let status = n1.status(at: t(1100), wallClock: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(status), as: UTF8.self)
        #expect(json == """
            {"live":["n2","n3"],"node":"n1","ready":true,"services":[{"addresses":["10.98.0.100","fd00:98::100"],\
            "awaitingClaims":["fd00:98::100"],"interfaces":[],"live":["n2","n1","n3"],"owner":"n2",\
            "ranking":["n2","n1","n3"],"reason":"betterCandidateJoined","reasonDetail":"n2","service":"default/a",\
            "since":"1970-01-01T00:00:00.000Z","state":"releasing"}],"shuttingDown":false}
            """)
        #expect(try JSONDecoder().decode(OwnershipStatus.self, from: Data(json.utf8)) == status)
    }

    /// Before ready the winner is shown as owner, standing by; with nobody live the owner is absent.
    @Test func standbyAndOwnerless() {
        var n1 = OwnershipStateMachine(node: "n1")
        _ = n1.desired(desiredSet([l2Service("b", [vip101])]), at: t(0))
        var service = n1.status(at: t(0), wallClock: 0).services[0]
        #expect(service.owner == "n1" && service.state == .standby && service.reason == .elected)
        _ = n1.shutdown(at: t(10))
        service = n1.status(at: t(10), wallClock: 0).services[0]
        #expect(service.owner == nil && service.live.isEmpty)
        #expect(n1.status(at: t(10), wallClock: 0).shuttingDown)
    }

    /// (nanoseconds since the epoch, RFC 3339), checked with Python's datetime.
    static let timestamps: [(UInt64, String)] = [
        (0, "1970-01-01T00:00:00.000Z"),
        (1_700_000_000_123_000_000, "2023-11-14T22:13:20.123Z"),
        (951_782_400_000_000_000, "2000-02-29T00:00:00.000Z"),
        (4_102_444_799_999_999_999, "2099-12-31T23:59:59.999Z"),
    ]

    @Test(arguments: timestamps)
    func rfc3339(nanoseconds: UInt64, text: String) {
        #expect(RFC3339.format(unixNanoseconds: nanoseconds) == text)
    }

    /// Log phrases name what happened and who.
    @Test func changeDescriptions() {
        #expect(OwnershipChange.acquired(sid("a"), reason: .ownerDied("n2")).description
                    == "acquired default/a: owner n2 died")
        #expect(OwnershipChange.released(sid("a"), reason: .handedOver(claim(vip100))).description
                    == "released default/a: handed over (10.98.0.100 is-at 02:00:00:00:00:02 on eth0)")
        #expect(OwnershipChange.conflict(sid("a"), claim: claim(vip100, by: "n3")).service == sid("a"))
        #expect(OwnershipReason.handedOver(claim(vip100)).kind == .handedOver)
        #expect(OwnershipReason.shutdown.detail == nil)
    }
}
