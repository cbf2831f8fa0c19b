import Foundation

/// A request the test server refuses, answered as a Kubernetes `Status` object (kind Status, status Failure).
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code (also the Status `code`).
    public var code: Int
    /// The machine-readable reason (`NotFound`, `AlreadyExists`, `Conflict`, `Gone`, …).
    public var reason: String
    /// The human-readable message.
    public var message: String
    /// Status `details` (name, group, kind), when the error concerns one object.
    public var details: JSONValue?

    /// An error with its code, reason and message.
    public init(code: Int, reason: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    /// `<code> <reason>: <message>`.
    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object the API server answers with.
    public var status: JSONValue {
        var status: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                                 "message": .string(message), "reason": .string(reason), "code": .int(Int64(code))]
        if let details { status["details"] = details }
        return status
    }

    static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(type.qualifiedPlural) \"\(name)\" not found",
                 details: type.details(name: name))
    }

    static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(type.qualifiedPlural) \"\(name)\" already exists",
                 details: type.details(name: name))
    }

    static func conflict(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(type.qualifiedPlural) \"\(name)\": the object has been "
                     + "modified; please apply your changes to the latest version and try again",
                 details: type.details(name: name))
    }

    static func gone(_ message: String) -> APIError { APIError(code: 410, reason: "Expired", message: message) }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func invalid(_ type: ResourceType, _ name: String, _ message: String) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(message)",
                 details: type.details(name: name))
    }
}
