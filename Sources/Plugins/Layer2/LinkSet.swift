import Foundation
import Glibc
import LBKernel
import Logging
import Synchronization

/// The open link handles, one per announcing interface, each read by its own thread that answers requests at once.
///
/// Replies are sent from the reader thread (the reply budget is ~100 µs, too short for a hop through the
/// announcer's task); claims and a link's end go to the announcer's loop as events. Opening, closing and
/// announcing happen on the loop's task.
final class LinkSet: @unchecked Sendable {
    /// One interface with its handle.
    struct Open {
        var interface: NetworkInterface
        var arp: Bool
        var ndp: Bool
        var link: PcapLink
    }

    private let answers: SharedAnswers
    private let logger: Logger
    private let send: @Sendable (Layer2Announcer.Event) -> Void
    private let groups = SolicitedNodeGroups()
    /// Touched only from the announcer's loop.
    private var open: [String: Open] = [:]
    private var failedToOpen: [String: String] = [:]

    init(answers: SharedAnswers, logger: Logger, send: @escaping @Sendable (Layer2Announcer.Event) -> Void) {
        self.answers = answers
        self.logger = logger
        self.send = send
    }

    /// The names of the open interfaces, sorted.
    var openNames: [String] { open.keys.sorted() }

    /// Opens handles on newly announcing interfaces, and closes those of interfaces that are gone, skipped, or
    /// changed (index or MAC address: a handle is bound to one device, and replies carry its MAC address); returns
    /// whether a handle was opened (the node then announces what it owns on it).
    @discardableResult
    func update(interfaces: [NetworkInterface], verdicts: [String: InterfaceVerdict]) -> Bool {
        var opened = false
        let byName = Dictionary(interfaces.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, current) in open {
            let now = byName[name]
            guard let now, case .announce = verdicts[name], now.index == current.interface.index,
                  now.mac == current.interface.mac else {
                logger.info("layer 2: closing interface \(name)")
                close(name)
                continue
            }
            if case .announce(let arp, let ndp) = verdicts[name] {
                open[name]?.arp = arp
                open[name]?.ndp = ndp
                open[name]?.interface = now
            }
        }
        for (name, verdict) in verdicts.sorted(by: { $0.key < $1.key }) where open[name] == nil {
            guard case .announce(let arp, let ndp) = verdict, let interface = byName[name],
                  let mac = interface.mac else { continue }
            do {
                let link = try PcapLink(interface: name)
                open[name] = Open(interface: interface, arp: arp, ndp: ndp, link: link)
                opened = true
                failedToOpen[name] = nil
                startReader(link: link, name: name, mac: mac)
                logger.info("layer 2: answering on \(name) (\(mac))\(arp ? " ARP" : "")\(ndp ? " NDP" : "")")
            } catch {
                let message = "\(error)"
                if failedToOpen[name] != message {
                    logger.error("layer 2: cannot open \(name): \(message); retrying at every interface scan")
                    failedToOpen[name] = message
                }
            }
        }
        answers.setOurMACs(Set(interfaces.compactMap(\.mac)))
        setSolicitedNodeGroups(for: answers.current)
        return opened
    }

    private func startReader(link: PcapLink, name: String, mac: MACAddress) {
        let answers = self.answers
        let send = self.send
        let logger = self.logger
        let interface = ResponderInterface(name: name, mac: mac)
        let thread = Thread {
            LinkSet.raiseReaderPriority()
            do {
                try link.run { frame in
                    let outcome = Responder.respond(to: frame, on: interface, table: answers.current)
                    switch outcome {
                    case .reply(let reply, _):
                        do { try link.inject(reply) } catch {
                            logger.warning("layer 2: cannot send a reply on \(name): \(error)")
                        }
                    case .claim(let claim):
                        // Our own announcement seen on another of our interfaces on the same segment is no claim.
                        if !answers.isOurs(claim.mac) { send(.claim(claim)) }
                    case .drop:
                        break
                    }
                    answers.count(outcome)
                }
            } catch {
                logger.warning("layer 2: reading \(name) failed: \(error)")
                send(.linkEnded(name))
            }
        }
        thread.name = "lbd-l2-\(name)"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    /// Runs the calling reader thread under the real-time policy `SCHED_FIFO` at the lowest priority, when lbd may
    /// (root or `CAP_SYS_NICE`): a request is then answered as soon as it arrives even when the node's CPUs are
    /// busy, as the kernel answers in its softirq. The thread sleeps in `poll` between frames; under a flood of
    /// requests the kernel's real-time throttling (`sched_rt_runtime_us`) keeps CPU time for everything else.
    static func raiseReaderPriority() {
        var parameters = sched_param()
        parameters.sched_priority = 1
        _ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
    }

    /// Forgets a link whose reader ended, so the next scan reopens it.
    func forget(_ name: String) { close(name) }

    private func close(_ name: String) {
        guard let entry = open.removeValue(forKey: name) else { return }
        entry.link.close()
        try? groups.set([], on: name, index: entry.interface.index)
    }

    /// Closes every handle and leaves every multicast group.
    func closeAll() {
        for name in open.keys.sorted() { close(name) }
        groups.leaveAll()
    }

    /// Joins the solicited-node groups of the table's IPv6 addresses on every NDP interface, and leaves the others.
    func setSolicitedNodeGroups(for table: AnswerTable) {
        for (name, entry) in open where entry.ndp {
            let wanted = Set(table.entries.compactMap { address, interfaces -> IPv6Address? in
                guard case .v6(let v6) = address, interfaces.isEmpty || interfaces.contains(name) else { return nil }
                return Layer2Frames.solicitedNodeMulticast(for: v6)
            })
            do { try groups.set(wanted, on: name, index: entry.interface.index) } catch {
                logger.error("layer 2: \(error); bridges with MLD snooping may not deliver solicitations on \(name)")
            }
        }
    }

    /// Sends gratuitous ARP (a request and a reply) for IPv4 addresses and an unsolicited NA for IPv6 ones, on
    /// every open interface the table allows for each address.
    func announce(_ addresses: [IPAddress], table: AnswerTable) {
        for (name, entry) in open {
            guard let mac = entry.interface.mac else { continue }
            for address in addresses where table.answers(address, on: name) {
                var frames: [[UInt8]] = []
                switch address {
                case .v4(let v4) where entry.arp:
                    frames = [Layer2Frames.gratuitousARPRequest(address: v4, mac: mac, vlanTags: []),
                              Layer2Frames.gratuitousARPReply(address: v4, mac: mac, vlanTags: [])]
                case .v6(let v6) where entry.ndp:
                    frames = [Layer2Frames.unsolicitedNeighborAdvertisement(target: v6, mac: mac, vlanTags: [])]
                default:
                    continue
                }
                for frame in frames {
                    do { try entry.link.inject(frame) } catch {
                        logger.warning("layer 2: cannot announce \(address) on \(name): \(error)")
                    }
                }
            }
        }
    }

    /// The open interfaces for the status file.
    var statusInterfaces: [Layer2Status.Interface] {
        open.values.sorted { $0.interface.name < $1.interface.name }.map {
            Layer2Status.Interface(name: $0.interface.name, mac: $0.interface.mac?.description ?? "",
                                   arp: $0.arp, ndp: $0.ndp)
        }
    }
}
