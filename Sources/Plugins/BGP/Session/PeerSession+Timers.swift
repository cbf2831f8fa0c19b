import NIOCore

extension PeerSession {
    /// One timer of one state machine.
    struct TimerKey: Hashable, Sendable {
        /// The machine's number.
        var machine: UInt64
        /// The timer.
        var timer: SessionStateMachine.Timer
    }

    /// The running timers of a session's machines, as NIO scheduled tasks that post ``Input/timerFired(_:token:)``.
    ///
    /// Restarting a timer to a later deadline (the hold timer at every message, the keepalive timer at every
    /// UPDATE batch) only moves the deadline: the scheduled task fires early, sees the later deadline and
    /// schedules itself again. Each schedule has a token, so a firing that lost the race with a stop or restart
    /// is recognised and dropped.
    struct TimerTable {
        private struct Entry {
            var token: UInt64
            var deadline: NIODeadline
            var scheduledFor: NIODeadline
            var task: Scheduled<Void>
        }

        private var entries: [TimerKey: Entry] = [:]
        private var lastToken: UInt64 = 0
        private let loop: any EventLoop
        private let post: @Sendable (TimerKey, UInt64) -> Void

        /// Creates a table whose tasks run on `loop` and report through `post`.
        init(loop: any EventLoop, post: @escaping @Sendable (TimerKey, UInt64) -> Void) {
            self.loop = loop
            self.post = post
        }

        /// Starts (or restarts) the timer to fire after `duration`.
        mutating func start(_ key: TimerKey, after duration: Duration) {
            let deadline = NIODeadline.now() + TimeAmount(duration)
            if var entry = entries[key], entry.scheduledFor <= deadline {
                entry.deadline = deadline
                entries[key] = entry
                return
            }
            entries[key]?.task.cancel()
            schedule(key, at: deadline)
        }

        /// Stops the timer.
        mutating func stop(_ key: TimerKey) {
            entries.removeValue(forKey: key)?.task.cancel()
        }

        /// Stops every timer of a machine.
        mutating func stopAll(machine: UInt64) {
            for key in entries.keys where key.machine == machine { stop(key) }
        }

        /// Stops every timer.
        mutating func stopAll() {
            for entry in entries.values { entry.task.cancel() }
            entries = [:]
        }

        /// Whether a firing with `token` is the timer's real expiry; a firing before a moved deadline schedules the
        /// timer again instead.
        mutating func fired(_ key: TimerKey, token: UInt64) -> Bool {
            guard let entry = entries[key], entry.token == token else { return false }
            if NIODeadline.now() < entry.deadline {
                schedule(key, at: entry.deadline)
                return false
            }
            entries[key] = nil
            return true
        }

        private mutating func schedule(_ key: TimerKey, at deadline: NIODeadline) {
            lastToken += 1
            let token = lastToken
            let post = self.post
            let task = loop.scheduleTask(deadline: deadline) { post(key, token) }
            entries[key] = Entry(token: token, deadline: deadline, scheduledFor: deadline, task: task)
        }
    }
}
