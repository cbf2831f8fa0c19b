import LBKernel
import Logging

/// The announcer's event loop: feeds the ownership state machine and performs its actions on the links, the
/// heartbeats and the status file. It runs on one task, so the state machine needs no lock.
struct Layer2Loop {
    let node: String
    var machine: OwnershipStateMachine
    let links: LinkSet
    let membership: Membership
    let answers: SharedAnswers
    let exclusions: [InterfacePattern]
    let status: StatusFileWriter?
    let logger: Logger
    /// Receives the owned services whenever they change (the announcer's ``Layer2Announcer/announcementStates``).
    let ownedChanged: @Sendable (Set<ServiceID>) -> Void

    var shuttingDown = false
    var live: Set<String> = []
    /// The interfaces named by advertisements (nil when some advertisement names none: every eligible one).
    var requestedInterfaces: Set<String>? = nil
    var lastInterfaceNames: [String] = []
    var lastVerdicts: [String: InterfaceVerdict] = [:]
    var lastConflictLog: [ServiceID: ContinuousClock.Instant] = [:]
    var lastOwned: Set<ServiceID> = []

    /// Handles one event; returns true when the announcer should stop (the handover after SIGTERM is complete).
    mutating func handle(_ event: Layer2Announcer.Event) async -> Bool {
        let now = ContinuousClock.now
        var statusChanged = false
        let actions: [OwnershipStateMachine.Action]
        switch event {
        case .desired(let set):
            requestedInterfaces = Self.requestedInterfaces(of: set)
            actions = machine.desired(set, at: now)
            statusChanged = true
        case .membership(let update):
            for event in update.events { log(event) }
            var joined: Set<String> = []
            var left: Set<String> = []
            for event in update.events {
                switch event {
                case .joined(let name), .restarted(let name): joined.insert(name)
                case .left(let name): left.insert(name)
                case .died: break
                }
            }
            live = update.live
            actions = machine.membership(live: update.live, joined: joined, left: left, at: now)
            statusChanged = true
        case .ready:
            logger.info("layer 2: listened to heartbeats for one detection period; live nodes: \(describe(live))")
            actions = machine.ready(at: now)
            statusChanged = true
        case .claim(let claim):
            actions = machine.claimObserved(claim, at: now)
        case .tick:
            actions = machine.tick(at: now)
        case .scan:
            rescan()
            actions = []
            statusChanged = true  // the counters move: the status file is refreshed at every scan
        case .linkEnded(let name):
            logger.warning("layer 2: interface \(name) stopped delivering frames; it is reopened at the next scan")
            links.forget(name)
            actions = []
        case .shutdown:
            guard !shuttingDown else { return false }
            shuttingDown = true
            logger.info("layer 2: shutting down; handing owned addresses over before stopping")
            await membership.leave()
            actions = machine.shutdown(at: now)
            statusChanged = true
        }
        let (changed, stop) = perform(actions)
        if statusChanged || changed || stop { writeStatus() }
        if changed {
            let owned = machine.ownedServices
            if owned != lastOwned {
                lastOwned = owned
                ownedChanged(owned)
            }
        }
        return stop
    }

    /// Performs the state machine's actions in their order; returns whether the status changed and whether the
    /// shutdown is complete.
    @discardableResult
    mutating func perform(_ actions: [OwnershipStateMachine.Action]) -> (changed: Bool, stop: Bool) {
        var changed = false
        var stop = false
        for action in actions {
            switch action {
            case .answer(let table):
                // The groups are joined before anything is announced, so the first solicitations arrive.
                links.setSolicitedNodeGroups(for: table)
                answers.set(table)
                changed = true
            case .announce(let addresses):
                links.announce(addresses, table: answers.current)
            case .changed(let change):
                log(change)
                changed = true
            case .shutdownComplete:
                stop = true
            }
        }
        return (changed, stop)
    }

    /// Logs a change; conflicts (another station announcing an address this node owns: a shared address with two
    /// owners, a partition, a misconfigured host) at most once per 10 s per service.
    mutating func log(_ change: OwnershipChange) {
        guard case .conflict(let service, let claim) = change else {
            logger.info("layer 2: \(change)")
            return
        }
        let now = ContinuousClock.now
        if let last = lastConflictLog[service], now - last < .seconds(10) { return }
        lastConflictLog[service] = now
        logger.warning("""
            layer 2: \(service): another station announces \(claim.address) (\(claim.mac) on \(claim.interface)) \
            while this node owns it; logged at most every 10 s
            """)
    }

    /// Re-reads the host's interfaces and opens or closes link handles to match.
    mutating func rescan() {
        let interfaces = InterfaceScanner.scan()
        let verdicts = InterfaceSelection.verdicts(for: interfaces, requested: requestedInterfaces,
                                                   exclusions: exclusions)
        if verdicts != lastVerdicts {
            for (name, verdict) in verdicts.sorted(by: { $0.key < $1.key }) where lastVerdicts[name] != verdict {
                logger.info("layer 2: interface \(name): \(verdict)")
            }
            lastVerdicts = verdicts
        }
        let opened = links.update(interfaces: interfaces, verdicts: verdicts)
        let names = links.openNames
        if names != lastInterfaceNames {
            lastInterfaceNames = names
            membership.setInterfaces(names)
        }
        if opened {
            // A link that (re)opened (new, back up, new MAC) announces what this node owns, not what it is handing
            // over: clients on it may have missed the takeover, or hold the old MAC address.
            perform(machine.reannounce(at: .now))
        }
    }

    /// The interfaces advertisements name for this node, or nil when some service may use every interface.
    static func requestedInterfaces(of set: DesiredSet) -> Set<String>? {
        var names: Set<String> = []
        for announcement in set.services.values {
            guard let layer2 = announcement.layer2 else { continue }
            if layer2.interfaces.isEmpty { return nil }
            names.formUnion(layer2.interfaces)
        }
        // No Layer 2 service yet: keep every eligible interface open, so heartbeats flow and the first service is
        // answered at once.
        return names.isEmpty ? nil : names
    }

    func log(_ event: MembershipEvent) {
        switch event {
        case .joined(let name): logger.info("layer 2: node \(name) is alive (heartbeats received)")
        case .restarted(let name): logger.info("layer 2: node \(name) restarted (new incarnation)")
        case .left(let name): logger.info("layer 2: node \(name) left (graceful shutdown)")
        case .died(let name): logger.warning("layer 2: node \(name) is dead (heartbeats missed)")
        }
    }

    func describe(_ nodes: Set<String>) -> String { nodes.isEmpty ? "none" : nodes.sorted().joined(separator: ", ") }

    func writeStatus() {
        guard let status else { return }
        status.write(Layer2Status(node: node, interfaces: links.statusInterfaces,
                                  ownership: machine.status(at: .now, wallClock: Membership.wallClock()),
                                  responder: answers.counted, heartbeats: membership.counters))
    }
}
