extension OwnershipStateMachine {
    /// The timings of announcements and handovers.
    public struct Settings: Hashable, Sendable {
        /// How often a takeover is announced again (MetalLB: 1.1 s); must be positive.
        public var repeatEvery: Duration
        /// How long after a takeover (or a join) announcements go on: they are sent at `repeatEvery` multiples
        /// strictly below it, so 5 s every 1 s sends 5; zero sends only the first.
        public var repeatFor: Duration
        /// How long a releasing service is still answered when the next owner's claims do not all arrive.
        public var handoverTimeout: Duration

        /// Creates settings; the defaults are 1 s, 5 s and 2 s.
        public init(repeatEvery: Duration = .seconds(1), repeatFor: Duration = .seconds(5),
                    handoverTimeout: Duration = .seconds(2)) {
            self.repeatEvery = repeatEvery
            self.repeatFor = repeatFor
            self.handoverTimeout = handoverTimeout
        }
    }
}
