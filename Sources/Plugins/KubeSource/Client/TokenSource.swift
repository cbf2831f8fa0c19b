// TokenSource: the bearer token for each request; a token file is re-read when the cached copy is a minute old,
// so a rotated service-account token is picked up without a restart.
import Foundation
import Synchronization

/// Gives the current bearer token, re-reading a token file when the cached copy is older than `maximumAge`.
final class TokenSource: Sendable {
    private let token: KubeConfiguration.Token?
    private let maximumAge: Duration
    private let cache = Mutex<(token: String, readAt: ContinuousClock.Instant)?>(nil)
    private let last = Mutex<String?>(nil)

    init(_ token: KubeConfiguration.Token?, maximumAge: Duration = .seconds(60)) {
        self.token = token
        self.maximumAge = maximumAge
    }

    /// Forgets the cached token, so the next request re-reads the file (after a 401: the token may have rotated).
    func invalidate() {
        cache.withLock { $0 = nil }
    }

    /// The token to send, or nil when the configuration has none.
    ///
    /// - Throws: a ``KubeConfigError`` when the token file cannot be read and no cached token exists.
    func current() throws(KubeConfigError) -> String? {
        switch token {
        case nil: return nil
        case .literal(let text): return text
        case .file(let path):
            let now = ContinuousClock.now
            if let cached = cache.withLock({ $0 }), now - cached.readAt < maximumAge { return cached.token }
            guard let data = FileManager.default.contents(atPath: path),
                  let text = String(data: data, encoding: .utf8) else {
                // Keep using the old token if the file is briefly missing during rotation.
                if let cached = last.withLock({ $0 }) { return cached }
                throw KubeConfigError(.unreadable, file: path, "cannot read the bearer token file")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            cache.withLock { $0 = (trimmed, now) }
            last.withLock { $0 = trimmed }
            return trimmed
        }
    }
}
