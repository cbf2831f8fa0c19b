// KubeStatus: the Kubernetes `Status` object, as the server sends it in error bodies and watch ERROR events.
import Foundation

/// The parts of a Kubernetes `Status` object lbd reads.
struct KubeStatus: Decodable, Sendable {
    var status: String?
    var message: String?
    var reason: String?
    var code: Int?
    var details: Details?

    struct Details: Decodable, Sendable {
        var retryAfterSeconds: Int?
    }

    /// The ``KubeError`` for a response with HTTP `code`, `body`, and an optional `Retry-After` header value.
    static func error(code: Int, phrase: String, body: [UInt8], retryAfterHeader: String?, verb: String,
                      path: String) -> KubeError {
        let status = try? JSONDecoder().decode(KubeStatus.self, from: Data(body))
        var retryAfter: Duration?
        if let header = retryAfterHeader?.trimmingCharacters(in: .whitespaces), let seconds = Int(header), seconds >= 0 {
            retryAfter = .seconds(seconds)
        } else if let seconds = status?.details?.retryAfterSeconds, seconds >= 0 {
            retryAfter = .seconds(seconds)
        }
        let message = status?.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        return KubeError(code: code, reason: status?.reason ?? phrase, message: message, verb: verb,
                         path: path, retryAfter: retryAfter)
    }
}
