/// Why a BFD session last changed state, the 5-bit Diag field of a Control packet (RFC 5880 §4.1).
///
/// Values 9–31 are reserved; they are kept as received rather than rejected, since the diagnostic is informational.
public struct BFDDiagnostic: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code, 0–31.
    public let rawValue: UInt8

    /// Wraps a code; nil when it does not fit the 5-bit field.
    public init?(rawValue: UInt8) {
        guard rawValue < 32 else { return nil }
        self.rawValue = rawValue
    }

    private init(code: UInt8) { rawValue = code }

    /// 0: No Diagnostic.
    public static let none = BFDDiagnostic(code: 0)
    /// 1: Control Detection Time Expired (no packet from the peer for a Detection Time).
    public static let controlDetectionTimeExpired = BFDDiagnostic(code: 1)
    /// 2: Echo Function Failed.
    public static let echoFunctionFailed = BFDDiagnostic(code: 2)
    /// 3: Neighbor Signaled Session Down.
    public static let neighborSignaledSessionDown = BFDDiagnostic(code: 3)
    /// 4: Forwarding Plane Reset.
    public static let forwardingPlaneReset = BFDDiagnostic(code: 4)
    /// 5: Path Down.
    public static let pathDown = BFDDiagnostic(code: 5)
    /// 6: Concatenated Path Down.
    public static let concatenatedPathDown = BFDDiagnostic(code: 6)
    /// 7: Administratively Down.
    public static let administrativelyDown = BFDDiagnostic(code: 7)
    /// 8: Reverse Concatenated Path Down.
    public static let reverseConcatenatedPathDown = BFDDiagnostic(code: 8)

    /// The RFC's name for the code, or `reserved (n)`.
    public var description: String {
        switch rawValue {
        case 0: "No Diagnostic"
        case 1: "Control Detection Time Expired"
        case 2: "Echo Function Failed"
        case 3: "Neighbor Signaled Session Down"
        case 4: "Forwarding Plane Reset"
        case 5: "Path Down"
        case 6: "Concatenated Path Down"
        case 7: "Administratively Down"
        case 8: "Reverse Concatenated Path Down"
        default: "reserved (\(rawValue))"
        }
    }
}
