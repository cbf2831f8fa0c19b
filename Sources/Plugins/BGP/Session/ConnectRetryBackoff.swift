import LBKernel

/// The delays between connection attempts to one peer: exponential from an initial delay to a cap, each jittered.
///
/// Jitter follows RFC 4271 §10: each delay is multiplied by a random factor, uniform in 0.75...1.0 by default, so
/// that speakers restarted together do not reconnect in lockstep. The random numbers come from a seeded generator in
/// the value itself (no global state), so a test with a fixed seed sees a fixed sequence.
///
/// ``SessionStateMachine`` draws ``nextDelay()`` once per connection attempt, when the attempt starts: the delay is
/// both how long the attempt may take and when the next one starts. After a failed session (TCP was up) it waits
/// ``repeatDelay()`` before the next attempt, which then draws the next, longer delay.
public struct ConnectRetryBackoff: Hashable, Sendable {
    /// The backoff's settings.
    public var configuration: Configuration
    /// The delay (before jitter) the next ``nextDelay()`` returns.
    public private(set) var base: Duration
    /// The delay (before jitter) the last ``nextDelay()`` returned, or the initial delay.
    public private(set) var last: Duration
    private var random: SplitMix64

    /// The settings of a backoff.
    public struct Configuration: Hashable, Sendable {
        /// The first delay (MetalLB native: 1 s).
        public var initialDelay: Duration
        /// The longest delay (MetalLB native: 2 min).
        public var maximumDelay: Duration
        /// The factor applied after each attempt.
        public var multiplier: Int
        /// The range of the random factor applied to each delay (RFC 4271 §10: 0.75...1.0); 1...1 turns jitter off.
        public var jitter: ClosedRange<Double>
        /// The seed of the jitter's random numbers.
        public var seed: UInt64

        /// Creates settings.
        public init(initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(120), multiplier: Int = 2,
                    jitter: ClosedRange<Double> = 0.75...1.0, seed: UInt64 = 0) {
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
            self.multiplier = max(1, multiplier)
            self.jitter = jitter
            self.seed = seed
        }
    }

    /// Creates a backoff at its initial delay.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
        base = configuration.initialDelay
        last = configuration.initialDelay
        random = SplitMix64(seed: configuration.seed)
    }

    /// Returns the current delay, jittered, and makes the next one longer (up to the cap).
    public mutating func nextDelay() -> Duration {
        last = base
        base = min(base * configuration.multiplier, configuration.maximumDelay)
        return jittered(last)
    }

    /// Returns the delay last returned by ``nextDelay()`` again, freshly jittered, without lengthening the sequence.
    public mutating func repeatDelay() -> Duration { jittered(last) }

    /// Starts again from the initial delay, as though one attempt at the initial delay had just been made: the
    /// next failure waits the initial delay, the attempt after that twice it.
    public mutating func reset() {
        last = configuration.initialDelay
        base = min(configuration.initialDelay * configuration.multiplier, configuration.maximumDelay)
    }

    private mutating func jittered(_ delay: Duration) -> Duration {
        let range = configuration.jitter
        guard range.lowerBound < range.upperBound else { return delay * range.lowerBound }
        let unit = random.nextUnit()
        return delay * (range.lowerBound + unit * (range.upperBound - range.lowerBound))
    }
}
