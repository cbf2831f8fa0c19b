import Foundation
import LabKit
import LBKernel

/// The three routers the acceptance tests run against.
enum RouterKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case bird = "BIRD"
    case frr = "FRR"
    case gobgp = "GoBGP"

    /// The name in test output.
    var description: String { rawValue }
}

/// A BGP session's state as a router reports it (RFC 4271 §8.2.2).
enum SessionState: Hashable, Sendable, CustomStringConvertible {
    case idle, connect, active, openSent, openConfirm, established
    /// A state the router names in its own way (BIRD's `Close`, a protocol that is down).
    case other(String)

    /// Reads the names routers print, in any case (`Established`, `OpenSent`, `BGP_FSM_ESTABLISHED`…).
    init(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "bgp_fsm_", with: "")
            .replacingOccurrences(of: "_", with: "")
        switch key {
        case "idle": self = .idle
        case "connect": self = .connect
        case "active": self = .active
        case "opensent": self = .openSent
        case "openconfirm": self = .openConfirm
        case "established": self = .established
        default: self = .other(name)
        }
    }

    /// The RFC's name of the state.
    var description: String {
        switch self {
        case .idle: "Idle"
        case .connect: "Connect"
        case .active: "Active"
        case .openSent: "OpenSent"
        case .openConfirm: "OpenConfirm"
        case .established: "Established"
        case .other(let name): name
        }
    }
}

/// Graceful restart (RFC 4724) as the router's side of it: helper mode, keeping a restarting peer's routes.
struct GracefulRestartSettings: Sendable {
    /// The restart time the router announces in its own capability, in seconds.
    var restartTime = 120
    /// How long the router keeps a restarting peer's stale routes at most, in seconds (FRR's stalepath-time).
    var stalePathTime = 360
}

/// BFD timers for a neighbour (RFC 5880 §6.8.1; FRR's and BIRD's single-hop BFD).
struct BFDSettings: Sendable {
    /// Required minimum receive interval, in milliseconds.
    var receiveInterval = 300
    /// Desired minimum transmit interval, in milliseconds.
    var transmitInterval = 300
    /// Detection multiplier.
    var detectMultiplier = 3
}

/// A route the router itself originates (for the harness self-tests, where a router plays the speaker).
struct StaticAnnouncement: Sendable {
    /// The prefix announced.
    var prefix: IPPrefix
    /// Standard and large communities attached.
    var communities: [BGPCommunity] = []
    /// LOCAL_PREF (sent to iBGP neighbours only).
    var localPref: UInt32?
    /// MULTI_EXIT_DISC.
    var med: UInt32?
}

/// One BGP neighbour of a router under test (lbd, usually).
struct RouterNeighbor: Sendable {
    /// The neighbour's address; its family is the session's transport.
    var address: IPAddress
    /// The router's own address toward the neighbour.
    var localAddress: IPAddress
    /// The neighbour's AS number (the router's own for iBGP).
    var asn: UInt32
    /// True: the router waits for the neighbour to connect. False: it connects too (after one second).
    var passive = true
    /// Proposed hold time in seconds; keepalives every third of it.
    var holdTime = 9
    /// TCP-MD5 password (RFC 2385), or nil.
    var password: String?
    /// Graceful restart helper settings, or nil to turn graceful restart off (routes go when the session does).
    var gracefulRestart: GracefulRestartSettings?
    /// BFD for this neighbour (FRR, BIRD), or nil.
    var bfd: BFDSettings?
    /// The address families exchanged (unicast); by default the transport's family only.
    var families: [IPFamily]

    /// A neighbour at `address`, from `localAddress`.
    init(address: IPAddress, localAddress: IPAddress, asn: UInt32, passive: Bool = true, holdTime: Int = 9,
         password: String? = nil, gracefulRestart: GracefulRestartSettings? = nil, bfd: BFDSettings? = nil,
         families: [IPFamily]? = nil) {
        self.address = address
        self.localAddress = localAddress
        self.asn = asn
        self.passive = passive
        self.holdTime = holdTime
        self.password = password
        self.gracefulRestart = gracefulRestart
        self.bfd = bfd
        self.families = families ?? [address.family]
    }

    /// The lab's speaker as a neighbour of the router side, over `family` transport.
    static func speaker(of lab: NetworkLab, over family: IPFamily, asn: UInt32, passive: Bool = true,
                        holdTime: Int = 9, password: String? = nil,
                        gracefulRestart: GracefulRestartSettings? = nil, bfd: BFDSettings? = nil) -> RouterNeighbor {
        RouterNeighbor(address: lab.speaker.address(family), localAddress: lab.router.address(family), asn: asn,
                       passive: passive, holdTime: holdTime, password: password, gracefulRestart: gracefulRestart,
                       bfd: bfd)
    }

    /// The lab's router as a neighbour of the speaker side (for a router playing the speaker), over `family`.
    static func router(of lab: NetworkLab, over family: IPFamily, asn: UInt32, passive: Bool = false,
                       holdTime: Int = 9, password: String? = nil,
                       gracefulRestart: GracefulRestartSettings? = nil, bfd: BFDSettings? = nil) -> RouterNeighbor {
        RouterNeighbor(address: lab.router.address(family), localAddress: lab.speaker.address(family), asn: asn,
                       passive: passive, holdTime: holdTime, password: password, gracefulRestart: gracefulRestart,
                       bfd: bfd)
    }

    /// True when the neighbour is in the router's own AS.
    func isInternal(to routerASN: UInt32) -> Bool { asn == routerASN }
}

/// What a router daemon runs with.
struct RouterConfiguration: Sendable {
    /// The router's AS number.
    var asn: UInt32
    /// The router's BGP identifier.
    var routerID: IPv4Address
    /// Its neighbours.
    var neighbors: [RouterNeighbor]
    /// Routes it originates and sends to every neighbour; none for a pure receiver (which then sends nothing).
    var announcements: [StaticAnnouncement] = []
}

/// A real router (BIRD 2, FRR or GoBGP) run by the lab in one of its namespaces, with its own files and sockets.
///
/// Adapters write the daemon's configuration from a `RouterConfiguration`, start and stop it by pid, and read its
/// sessions and RIB through its own control interface (parsing JSON where it offers some).
protocol Router: AnyObject, Sendable {
    /// Which router this is.
    var kind: RouterKind { get }
    /// The namespace it runs in.
    var node: LabNode { get }
    /// What it runs with.
    var configuration: RouterConfiguration { get }

    /// Starts the daemon(s) and waits (bounded) until the control interface answers.
    func start() async throws
    /// Stops the daemon(s) cleanly (SIGTERM: the router closes its sessions with a Cease NOTIFICATION).
    func stop() async
    /// Kills the daemon(s) (SIGKILL: the kernel closes the TCP sessions, no NOTIFICATION).
    func kill() async
    /// The state of the session with `neighbor`.
    func sessionState(with neighbor: IPAddress) async throws -> SessionState
    /// Every path the router learned by BGP for `family` unicast (not the routes it originates itself).
    func routes(_ family: IPFamily) async throws -> [RouterRoute]
    /// Throws, with the daemon's log, when a daemon has exited.
    func requireRunning() throws
}

extension Router {
    /// Stops and starts the router again with the same configuration.
    func restart() async throws {
        await stop()
        try await start()
    }

    /// Waits (bounded) until the session with `neighbor` is Established (or, with `established: false`, is not).
    func waitForSession(with neighbor: IPAddress, established: Bool = true,
                        within limit: Duration = .seconds(30)) async throws {
        try await poll("\(kind)'s session with \(neighbor) \(established ? "to be" : "to leave") Established",
                       within: limit, abortIf: { try requireRunning() },
                       observe: { try await sessionState(with: neighbor) },
                       until: { ($0 == .established) == established })
    }

    /// Checks the session with `neighbor` for `duration` and throws if it is ever Established.
    func expectNoSession(with neighbor: IPAddress, for duration: Duration) async throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: duration)
        while clock.now < end {
            try requireRunning()
            let state = try await sessionState(with: neighbor)
            if state == .established {
                throw LabError("\(kind)'s session with \(neighbor) came up, and it must not")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Polls the RIB of `family` (bounded) until `done` holds, and returns the routes then.
    @discardableResult
    func waitForRoutes(_ family: IPFamily, within limit: Duration = .seconds(30), _ what: String,
                       until done: ([RouterRoute]) -> Bool) async throws -> [RouterRoute] {
        try await poll("\(kind)'s \(family) RIB: \(what)", within: limit, every: .milliseconds(200),
                       abortIf: { try requireRunning() },
                       observe: { try await routes(family) }, until: done,
                       describe: { $0.isEmpty ? "no routes" : $0.sorted().map(\.description).joined(separator: "; ") })
    }

    /// Polls until the RIB of `family` holds exactly `prefixes`, and returns the routes then.
    @discardableResult
    func waitForPrefixes(_ prefixes: [IPPrefix], _ family: IPFamily,
                         within limit: Duration = .seconds(30)) async throws -> [RouterRoute] {
        let wanted = prefixes.sorted()
        return try await waitForRoutes(family, within: limit, "exactly \(wanted)") { $0.prefixes == wanted }
    }
}

/// Builds the adapter for `kind` in `node` of `lab`.
func makeRouter(_ kind: RouterKind, in lab: NetworkLab, on node: LabNode,
                configuration: RouterConfiguration) throws -> any Router {
    switch kind {
    case .bird: try BIRDRouter(lab: lab, node: node, configuration: configuration)
    case .frr: try FRRRouter(lab: lab, node: node, configuration: configuration)
    case .gobgp: try GoBGPRouter(lab: lab, node: node, configuration: configuration)
    }
}
