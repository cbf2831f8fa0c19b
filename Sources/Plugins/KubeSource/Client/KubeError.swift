// KubeError: an API request the server refused, with its Kubernetes Status and the request that caused it.

/// A request the API server answered with an error status, mapped from its Kubernetes `Status` object.
public struct KubeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The HTTP status code (404, 409, 410, 429, 500, …).
    public var code: Int
    /// The Status `reason` (`NotFound`, `Conflict`, `Expired`, `TooManyRequests`, …), or the HTTP reason phrase.
    public var reason: String
    /// The Status `message`, or the start of the body when it was not a Status.
    public var message: String
    /// The request's verb (`GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH`, `DELETE`).
    public var verb: String
    /// The request's path, such as `/api/v1/namespaces/default/services/web`.
    public var path: String
    /// How long the server asked the client to wait (`Retry-After` or Status `details.retryAfterSeconds`).
    public var retryAfter: Duration?

    /// Creates an error.
    public init(code: Int, reason: String, message: String, verb: String, path: String, retryAfter: Duration? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.verb = verb
        self.path = path
        self.retryAfter = retryAfter
    }

    /// True for 410 Gone (or a Status reason `Expired`/`Gone`): the resource version is too old, relist.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
    /// True for 409 Conflict: the object changed since it was read.
    public var isConflict: Bool { code == 409 }
    /// True for 404 Not Found.
    public var isNotFound: Bool { code == 404 }
    /// True when retrying later may succeed: 429 and 5xx.
    public var isRetryable: Bool { code == 429 || (500...599).contains(code) }

    /// `GET /api/v1/services: 404 NotFound: services "x" not found`.
    public var description: String {
        var text = "\(verb) \(path): \(code) \(reason): \(message)"
        if let retryAfter { text += " (retry after \(retryAfter))" }
        return text
    }
}
