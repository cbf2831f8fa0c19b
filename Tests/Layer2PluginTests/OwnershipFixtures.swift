import LBKernel
import Testing
@testable import Layer2Plugin

// Shared vocabulary of the ownership tests. Election orders (OwnerElectionTests has the digests):
//   10.98.0.100  → n2, n1, n3   (n1 is second: it owns only when n2 is gone)
//   10.98.0.101  → n1, n3, n2   (n1 owns while live)
//   fd00:98::100 → n3, n1, n2

/// The instant every story starts at; `t(ms)` is that many milliseconds later.
let ownershipEpoch = ContinuousClock().now
func t(_ milliseconds: Int) -> ContinuousClock.Instant { ownershipEpoch + .milliseconds(milliseconds) }

let vip100 = IPAddress("10.98.0.100")!
let vip101 = IPAddress("10.98.0.101")!
let vip6 = IPAddress("fd00:98::100")!

/// Service `default/<name>`.
func sid(_ name: String) -> ServiceID { ServiceID(namespace: "default", name: name) }

/// A service announcement with a Layer 2 part (or none when `candidates` is nil).
func l2Service(_ name: String, _ addresses: [IPAddress], candidates: [String]? = ["n1", "n2", "n3"],
               interfaces: [String] = []) -> ServiceAnnouncement {
    ServiceAnnouncement(service: sid(name), addresses: addresses, pool: "lan",
                        layer2: candidates.map { Layer2Announcement(candidates: $0, interfaces: interfaces) })
}

/// The desired set of `node` with these services.
func desiredSet(_ services: [ServiceAnnouncement], node: String = "n1") -> DesiredSet {
    DesiredSet(node: node, services: Dictionary(uniqueKeysWithValues: services.map { ($0.service, $0) }))
}

/// A machine for `node` that was given `services`, saw `live` join, and is ready: all at t(0).
func readyMachine(_ services: [ServiceAnnouncement], live: Set<String>, node: String = "n1",
                  settings: OwnershipStateMachine.Settings = .init()) -> OwnershipStateMachine {
    var machine = OwnershipStateMachine(node: node, settings: settings)
    _ = machine.desired(desiredSet(services, node: node), at: t(0))
    _ = machine.membership(live: live, joined: live, at: t(0))
    _ = machine.ready(at: t(0))
    return machine
}

/// A claim from another station; `02:00:00:00:00:0N` for node nN.
func claim(_ address: IPAddress, by node: String = "n2", on interface: String = "eth0") -> AddressClaim {
    let number = UInt64(node.last?.wholeNumberValue ?? 9)
    return AddressClaim(address: address, mac: MACAddress(rawValue: 0x0200_0000_0000 | number), interface: interface)
}

/// A table answering for `addresses` on every interface.
func everywhere(_ addresses: [IPAddress]) -> AnswerTable {
    AnswerTable(entries: Dictionary(uniqueKeysWithValues: addresses.map { ($0, Set<String>()) }))
}

extension OwnershipStateMachine {
    /// This node's state for `name` as the status reports it, or nil when the service is not listed.
    func state(of name: String) -> OwnershipStatus.State? {
        status(at: t(0), wallClock: 0).services.first { $0.service == sid(name) }?.state
    }

    /// The elected owner of `name` as the status reports it.
    func owner(of name: String) -> String? {
        status(at: t(0), wallClock: 0).services.first { $0.service == sid(name) }?.owner
    }
}

extension [OwnershipStateMachine.Action] {
    /// The addresses of every `.announce`, in order.
    var announced: [[IPAddress]] { compactMap { if case .announce(let a) = $0 { a } else { nil } } }
    /// The tables sent.
    var tables: [AnswerTable] { compactMap { if case .answer(let table) = $0 { table } else { nil } } }
}
