import LBKernel
import Logging
import Synchronization

// The event-loop side of Membership, continued: the interfaces multicast beats use (on `loop`).

extension Membership {
    /// Joins the group and opens a send socket on each wanted interface, and undoes both on interfaces no longer
    /// wanted, gone or recreated (another index).
    func reconcileInterfaces() {
        let lines = state.withLock { state -> [LogLine] in
            guard state.phase == .running, configuration.peers.isEmpty, let control = state.sockets?.control4 else {
                return []
            }
            let wanted = state.interfaces
            let indexes = (try? network.perform {
                Dictionary(wanted.compactMap { name in MembershipSockets.interfaceIndex(name).map { (name, $0) } },
                           uniquingKeysWith: { first, _ in first })
            }) ?? [:]
            var lines: [LogLine] = []
            let group = configuration.group
            for (name, link) in state.links.sorted(by: { $0.key < $1.key }) where indexes[name] != link.index {
                try? MembershipSockets.setMembership(control, group: group, interface: name, index: link.index,
                                                     join: false)
                MembershipSockets.closeSocket(link.sender)
                state.links[name] = nil
                lines.append((.info, "heartbeats stopped on \(name)", [:]))
            }
            let now = ContinuousClock.now
            for name in wanted where state.links[name] == nil {
                guard let index = indexes[name] else {
                    if state.problemLog.shouldLog("missing \(name)", at: now) != nil {
                        lines.append((.warning, "heartbeat interface \(name) does not exist (yet); retrying", [:]))
                    }
                    continue
                }
                do throws(MembershipSockets.Failure) {
                    let sender = try network.perform { () throws(MembershipSockets.Failure) in
                        try MembershipSockets.openMulticastSender(interface: name, index: index)
                    }
                    do throws(MembershipSockets.Failure) {
                        try MembershipSockets.setMembership(control, group: group, interface: name, index: index,
                                                            join: true)
                    } catch {
                        MembershipSockets.closeSocket(sender)
                        throw error
                    }
                    state.links[name] = Link(index: index, sender: sender)
                    lines.append((.info, "heartbeats on \(name)", ["heartbeat.group": "\(group)"]))
                } catch {
                    if state.problemLog.shouldLog("link \(name) \(error)", at: now) != nil {
                        lines.append((.warning, "heartbeats cannot use \(name); retrying", ["error": "\(error)"]))
                    }
                }
            }
            return lines
        }
        write(lines)
    }
}
