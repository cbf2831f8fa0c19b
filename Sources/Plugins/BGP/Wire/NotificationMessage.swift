/// A NOTIFICATION message (RFC 4271 §4.5): the error that closes the session.
public struct NotificationMessage: Hashable, Sendable, Error, CustomStringConvertible {
    /// The error code.
    public var code: ErrorCode
    /// The error subcode (meaning depends on the code; 0 is unspecific).
    public var subcode: UInt8
    /// Data that helps diagnose the error (the offending field, for example).
    public var data: [UInt8]

    /// Creates a NOTIFICATION.
    public init(code: ErrorCode, subcode: UInt8 = 0, data: [UInt8] = []) {
        self.code = code
        self.subcode = subcode
        self.data = data
    }

    /// An error code (RFC 4271 §4.5 and later RFCs); a struct rather than an enum so that a NOTIFICATION with a code
    /// lbd does not know still decodes.
    public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as on the wire.
        public var rawValue: UInt8

        /// Wraps a code; every value is accepted.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Message Header Error.
        public static let messageHeader = ErrorCode(rawValue: 1)
        /// OPEN Message Error.
        public static let openMessage = ErrorCode(rawValue: 2)
        /// UPDATE Message Error.
        public static let updateMessage = ErrorCode(rawValue: 3)
        /// Hold Timer Expired.
        public static let holdTimerExpired = ErrorCode(rawValue: 4)
        /// Finite State Machine Error.
        public static let finiteStateMachine = ErrorCode(rawValue: 5)
        /// Cease.
        public static let cease = ErrorCode(rawValue: 6)
        /// ROUTE-REFRESH Message Error (RFC 7313 §5).
        public static let routeRefreshMessage = ErrorCode(rawValue: 7)
        /// Send Hold Timer Expired (RFC 9687 §3).
        public static let sendHoldTimerExpired = ErrorCode(rawValue: 8)

        /// The code's name in camel case (`cease`), or its number when unknown.
        public var description: String {
            switch rawValue {
            case 1: "messageHeader"
            case 2: "openMessage"
            case 3: "updateMessage"
            case 4: "holdTimerExpired"
            case 5: "finiteStateMachine"
            case 6: "cease"
            case 7: "routeRefreshMessage"
            case 8: "sendHoldTimerExpired"
            default: "code\(rawValue)"
            }
        }
    }

    /// Message Header Error subcodes (RFC 4271 §6.1).
    public enum HeaderSubcode: UInt8, Sendable {
        /// The marker is not all ones.
        case connectionNotSynchronized = 1
        /// The length field is out of range for the type.
        case badMessageLength = 2
        /// The type is unknown.
        case badMessageType = 3
    }

    /// OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5).
    public enum OpenSubcode: UInt8, Sendable {
        /// No specific subcode: used for a malformed optional parameter or capability.
        case unspecific = 0
        /// The version is not 4.
        case unsupportedVersionNumber = 1
        /// The peer AS is not the one configured.
        case badPeerAS = 2
        /// The BGP identifier is not a valid unicast address.
        case badBGPIdentifier = 3
        /// An optional parameter is not recognised.
        case unsupportedOptionalParameter = 4
        /// The hold time is 1 or 2.
        case unacceptableHoldTime = 6
        /// A required capability is missing (RFC 5492 §5).
        case unsupportedCapability = 7
    }

    /// UPDATE Message Error subcodes (RFC 4271 §6.3).
    public enum UpdateSubcode: UInt8, Sendable {
        /// The attribute list is malformed.
        case malformedAttributeList = 1
        /// A well-known attribute is not recognised.
        case unrecognizedWellKnownAttribute = 2
        /// A well-known mandatory attribute is missing.
        case missingWellKnownAttribute = 3
        /// The attribute flags conflict with the type.
        case attributeFlagsError = 4
        /// The attribute length is wrong for the type.
        case attributeLengthError = 5
        /// The ORIGIN value is undefined.
        case invalidOriginAttribute = 6
        /// The NEXT_HOP is not valid.
        case invalidNextHopAttribute = 8
        /// An optional attribute is malformed.
        case optionalAttributeError = 9
        /// A prefix is malformed.
        case invalidNetworkField = 10
        /// The AS_PATH is malformed.
        case malformedASPath = 11
    }

    /// ROUTE-REFRESH Message Error subcodes (RFC 7313 §5).
    public enum RouteRefreshSubcode: UInt8, Sendable {
        /// A BoRR or EoRR message whose length is not 23.
        case invalidMessageLength = 1
    }

    /// Cease subcodes (RFC 4486 §4, RFC 8203).
    public enum CeaseSubcode: UInt8, Sendable {
        /// The peer reached its prefix limit.
        case maximumPrefixesReached = 1
        /// The session is shut down by the operator.
        case administrativeShutdown = 2
        /// The peer was removed from the configuration.
        case peerDeconfigured = 3
        /// The session is reset by the operator.
        case administrativeReset = 4
        /// The connection was rejected.
        case connectionRejected = 5
        /// The peer's configuration changed.
        case otherConfigurationChange = 6
        /// The connection lost a collision (RFC 4271 §6.8).
        case connectionCollisionResolution = 7
        /// The speaker is out of resources.
        case outOfResources = 8
        /// A hard reset (RFC 8538 §3).
        case hardReset = 9
    }

    /// Code, subcode and data in words, for logs.
    public var description: String {
        let shown = data.prefix(16).map { hex($0).dropFirst(2) }.joined()
        return "NOTIFICATION \(code) (\(code.rawValue)/\(subcode))"
            + (data.isEmpty ? "" : " data \(shown)\(data.count > 16 ? "… (\(data.count) octets)" : "")")
    }
}

/// A ROUTE-REFRESH message (RFC 2918 §3): the peer asks for our Adj-RIB-Out of one family again.
public struct RouteRefreshMessage: Hashable, Sendable {
    /// The family asked for.
    public var family: AddressFamily
    /// The subtype (RFC 7313 §3: 0 normal, 1 BoRR, 2 EoRR); the reserved octet of RFC 2918.
    public var subtype: UInt8

    /// Creates the message.
    public init(family: AddressFamily, subtype: UInt8 = 0) {
        self.family = family
        self.subtype = subtype
    }
}
