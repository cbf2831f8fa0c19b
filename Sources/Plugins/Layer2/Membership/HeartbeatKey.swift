import Foundation

/// A shared secret that authenticates heartbeats (HMAC-SHA256): every node of a segment must hold the same one.
///
/// At least 16 octets; 32 random octets are best (`head -c 32 /dev/urandom | base64 > heartbeat.key`: the file's
/// text is the key, so a base64 line works as it is). Its description never shows the secret.
public struct HeartbeatKey: Hashable, Sendable, CustomStringConvertible {
    /// The secret octets.
    public let bytes: [UInt8]

    /// The shortest key accepted, in octets.
    public static let minimumLength = 16

    /// Creates a key from its octets; throws when there are fewer than ``minimumLength``.
    public init(bytes: [UInt8]) throws(HeartbeatKeyError) {
        guard bytes.count >= Self.minimumLength else {
            throw HeartbeatKeyError(.tooShort, file: nil, message: "the key has \(bytes.count) octets; it needs at "
                                    + "least \(Self.minimumLength) (32 random octets are best)")
        }
        self.bytes = bytes
    }

    /// Creates a key from text (its UTF-8 octets), as the configuration's `key` gives it.
    public init(_ text: String) throws(HeartbeatKeyError) {
        try self.init(bytes: Array(text.utf8))
    }

    /// Reads a key file: its octets, less one trailing newline (`\n` or `\r\n`), as a Kubernetes Secret mounted as a
    /// file or `echo secret > file` gives it.
    public static func load(file: String) throws(HeartbeatKeyError) -> HeartbeatKey {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw HeartbeatKeyError(.unreadable, file: file,
                                    message: "cannot read it: \(error.localizedDescription)")
        }
        var bytes = [UInt8](data)
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        do { return try HeartbeatKey(bytes: bytes) } catch {
            throw HeartbeatKeyError(error.code, file: file, message: error.message)
        }
    }

    /// `HeartbeatKey(N octets)`: never the secret.
    public var description: String { "HeartbeatKey(\(bytes.count) octets)" }
}

/// Why a heartbeat key cannot be used.
public struct HeartbeatKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rule broken.
    public var code: Code
    /// The key file, when the key came from one.
    public var file: String?
    /// What is wrong and how to fix it.
    public var message: String

    /// The rules a key can break.
    public enum Code: String, Hashable, Sendable {
        /// The file cannot be read (missing, or not readable).
        case unreadable
        /// Fewer than ``HeartbeatKey/minimumLength`` octets.
        case tooShort
    }

    /// Creates an error.
    public init(_ code: Code, file: String?, message: String) {
        self.code = code
        self.file = file
        self.message = message
    }

    /// `heartbeat key file /etc/lbd/heartbeat.key: <message>`, or `heartbeat key: <message>`.
    public var description: String {
        "heartbeat key" + (file.map { " file \($0)" } ?? "") + ": " + message
    }
}
