// An Event lbd wants to emit about an object, before aggregation and rate limiting (EventRecorder.swift).

/// An Event's type.
public enum EventType: String, Hashable, Sendable, Codable {
    /// Something expected happened.
    case normal = "Normal"
    /// Something the user should look at.
    case warning = "Warning"
}

/// An Event to emit: type, MetalLB's reason and the message.
public struct EventDescription: Hashable, Sendable, CustomStringConvertible {
    /// Normal or Warning.
    public var type: EventType
    /// The reason, as MetalLB writes it (`IPAllocated`, `AllocationFailed`, …).
    public var reason: String
    /// The message.
    public var message: String

    /// Creates a description.
    public init(_ type: EventType, _ reason: String, _ message: String) {
        self.type = type
        self.reason = reason
        self.message = message
    }

    /// `Warning AllocationFailed: message`.
    public var description: String { "\(type.rawValue) \(reason): \(message)" }

    /// MetalLB's reasons.
    public enum Reason {
        /// An address was assigned (Normal).
        public static let ipAllocated = "IPAllocated"
        /// No address could be assigned (Warning).
        public static let allocationFailed = "AllocationFailed"
        /// The current address is no longer allowed and is cleared (Normal).
        public static let clearAssignment = "ClearAssignment"
        /// The requested addresses are invalid (Warning).
        public static let loadBalancerFailed = "LoadBalancerFailed"
        /// A deprecated `metallb.universe.tf/` annotation is used (Warning).
        public static let deprecatedAnnotation = "deprecatedAnnotation"
        /// This node announces the service (Normal).
        public static let nodeAssigned = "nodeAssigned"
        /// A PreferDualStack service got only its primary family (Normal).
        public static let additionalAssignFailed = "AdditionalAssignFailed"
        /// A requested address is of a family the service does not have (Warning).
        public static let noLBIPsIPFamily = "nolbIPsIPFamily"
        /// RequireDualStack with fewer than two cluster IPs (Warning).
        public static let notEnoughClusterIPs = "not enough clusterips"
    }
}
