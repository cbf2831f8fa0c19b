/// A BFD Control packet (RFC 5880 §4.1): the 24-byte mandatory section and, when the A bit is set, an
/// authentication section.
///
/// Intervals are in microseconds, as on the wire. The Multipoint (M) bit is not represented: RFC 5880 §6.8.6 makes
/// a receiver discard any packet that sets it, and a sender must leave it clear.
public struct BFDControlPacket: Hashable, Sendable {
    /// The only protocol version (RFC 5880 §4.1).
    public static let version: UInt8 = 1
    /// The length of the mandatory section in bytes.
    public static let mandatoryLength = 24

    /// Why the sender's session last changed state (Diag).
    public var diagnostic: BFDDiagnostic
    /// The sender's session state (Sta).
    public var state: BFDState
    /// P: the sender asks for a packet with F set in return (a Poll Sequence, §6.5).
    public var poll: Bool
    /// F: this packet answers a Poll.
    public var final: Bool
    /// C: the sender's BFD does not share fate with its control plane.
    public var controlPlaneIndependent: Bool
    /// D: the sender wishes to operate in Demand mode.
    public var demand: Bool
    /// The sender's Detect Mult: how many intervals without a packet declare the session down (nonzero).
    public var detectMultiplier: UInt8
    /// The sender's discriminator for this session (nonzero).
    public var myDiscriminator: UInt32
    /// The discriminator the sender received from us, or 0 if it has none yet.
    public var yourDiscriminator: UInt32
    /// The interval, in microseconds, at which the sender would like to send packets.
    public var desiredMinTxInterval: UInt32
    /// The shortest interval, in microseconds, at which the sender can receive packets; 0 asks for no packets.
    public var requiredMinRxInterval: UInt32
    /// The shortest interval, in microseconds, at which the sender can receive Echo packets; 0 for none.
    public var requiredMinEchoRxInterval: UInt32
    /// The authentication section; its presence is the A bit.
    public var authentication: BFDAuthentication?

    /// Creates a packet; everything not given is zero, clear or absent.
    public init(diagnostic: BFDDiagnostic = .none, state: BFDState, poll: Bool = false, final: Bool = false,
                controlPlaneIndependent: Bool = false, demand: Bool = false, detectMultiplier: UInt8,
                myDiscriminator: UInt32, yourDiscriminator: UInt32 = 0, desiredMinTxInterval: UInt32,
                requiredMinRxInterval: UInt32, requiredMinEchoRxInterval: UInt32 = 0,
                authentication: BFDAuthentication? = nil) {
        self.diagnostic = diagnostic
        self.state = state
        self.poll = poll
        self.final = final
        self.controlPlaneIndependent = controlPlaneIndependent
        self.demand = demand
        self.detectMultiplier = detectMultiplier
        self.myDiscriminator = myDiscriminator
        self.yourDiscriminator = yourDiscriminator
        self.desiredMinTxInterval = desiredMinTxInterval
        self.requiredMinRxInterval = requiredMinRxInterval
        self.requiredMinEchoRxInterval = requiredMinEchoRxInterval
        self.authentication = authentication
    }

    /// The value of the Length field: the mandatory section plus the authentication section.
    public var length: Int { Self.mandatoryLength + (authentication?.length ?? 0) }
}

extension BFDControlPacket: CustomStringConvertible {
    /// A one-line summary in the style of tshark (state, diagnostic, flags, discriminators, intervals).
    public var description: String {
        var flags = ""
        if poll { flags += "P" }
        if final { flags += "F" }
        if controlPlaneIndependent { flags += "C" }
        if authentication != nil { flags += "A" }
        if demand { flags += "D" }
        return "\(state) diag=\(diagnostic.rawValue) flags=[\(flags)] mult=\(detectMultiplier) "
            + "my=\(myDiscriminator) your=\(yourDiscriminator) tx=\(desiredMinTxInterval)µs "
            + "rx=\(requiredMinRxInterval)µs echo=\(requiredMinEchoRxInterval)µs"
    }
}
