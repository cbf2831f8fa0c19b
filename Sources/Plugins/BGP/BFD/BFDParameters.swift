import LBKernel

/// The local settings of one BFD session: the intervals we ask for, the Detect Mult and the role (RFC 5880 §6.8.1).
///
/// Intervals are kept in microseconds, as the packets carry them. Built from a MetalLB `BFDProfile`: its
/// `echoMode`, `echoInterval` and `minimumTtl` do not apply here (no Echo function; `minimumTtl` is for multihop
/// sessions, and single-hop requires 255, RFC 5881 §5).
public struct BFDParameters: Hashable, Sendable {
    /// bfd.DesiredMinTxInterval once the session is Up, in microseconds (nonzero: §4.1 reserves zero).
    public var desiredMinTxInterval: UInt32
    /// bfd.RequiredMinRxInterval, in microseconds.
    public var requiredMinRxInterval: UInt32
    /// bfd.DetectMult (nonzero).
    public var detectMultiplier: UInt8
    /// Whether we take the Passive role: send nothing until the peer has sent us a packet (§6.1).
    public var passive: Bool

    /// MetalLB's and FRR's default transmit and receive interval, 300 ms.
    public static let defaultInterval: Duration = .milliseconds(300)
    /// MetalLB's and FRR's default Detect Mult.
    public static let defaultDetectMultiplier: UInt8 = 3
    /// The floor of bfd.DesiredMinTxInterval while the session is not Up (RFC 5880 §6.8.3), 1 s.
    public static let slowStartMinTxInterval: UInt32 = 1_000_000

    /// Creates parameters; intervals are rounded down to whole microseconds and clamped to the 32-bit field.
    public init(desiredMinTxInterval: Duration = defaultInterval, requiredMinRxInterval: Duration = defaultInterval,
                detectMultiplier: UInt8 = defaultDetectMultiplier, passive: Bool = false) {
        self.desiredMinTxInterval = max(1, Self.microseconds(desiredMinTxInterval))
        self.requiredMinRxInterval = Self.microseconds(requiredMinRxInterval)
        self.detectMultiplier = max(1, detectMultiplier)
        self.passive = passive
    }

    /// The parameters of a MetalLB `BFDProfile`, with its defaults (300 ms, 300 ms, 3) for fields not set.
    public init(profile: BFDProfile) {
        self.init(
            desiredMinTxInterval: profile.transmitInterval.map { .milliseconds($0) } ?? Self.defaultInterval,
            requiredMinRxInterval: profile.receiveInterval.map { .milliseconds($0) } ?? Self.defaultInterval,
            detectMultiplier: profile.detectMultiplier.map { UInt8(clamping: $0) } ?? Self.defaultDetectMultiplier,
            passive: profile.passiveMode ?? false)
    }

    /// `duration` in whole microseconds, clamped to 0...UInt32.max.
    static func microseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let micro = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !micro.overflow else { return .max }
        return UInt32(clamping: micro.partialValue + attoseconds / 1_000_000_000_000)
    }
}

