import Foundation
public import LBKernel

/// Where a peer's TCP-MD5 password (RFC 2385) comes from: the policy's `password`, or a file named in the plugin's
/// `passwordFiles`; read when the peer is configured, so a changed file takes effect at the next apply.
public enum PeerPassword {
    /// The longest key Linux accepts (`TCP_MD5SIG_MAXKEYLEN`).
    public static let maximumLength = 80

    /// Why a peer's password cannot be used.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The rule broken.
        public var code: Code
        /// The peer's name.
        public var peer: String
        /// The password file, when one is involved.
        public var file: String?
        /// What is wrong and how to fix it.
        public var message: String

        /// The rules a password can break.
        public enum Code: String, Hashable, Sendable {
            /// The peer has a `password` in policy and a file in `passwordFiles`.
            case twoSources
            /// The file cannot be read.
            case unreadable
            /// The file is empty (after its trailing newline).
            case empty
            /// The password is longer than ``PeerPassword/maximumLength`` bytes.
            case tooLong
            /// The peer names a `passwordSecret`, which lbd cannot read, and `passwordFiles` has no file for it.
            case secretNeedsFile
        }

        /// `peer "tor-a": password file /etc/lbd/tor-a.password: <message>`.
        public var description: String {
            "peer \"\(peer)\": " + (file.map { "password file \($0): " } ?? "") + message
        }
    }

    /// The password of `peer`, or nil when it has none; `file` is its absolute path from `passwordFiles`.
    ///
    /// A file holds the password as UTF-8 text; one trailing newline (`\n` or `\r\n`) is not part of it.
    public static func resolve(for peer: BGPPeer, file: String?) throws(Failure) -> String? {
        if let file {
            if peer.password != nil {
                throw Failure(code: .twoSources, peer: peer.name, file: file,
                              message: "the peer also has a password in its policy; keep one of the two")
            }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw Failure(code: .unreadable, peer: peer.name, file: file,
                              message: "cannot read it: \(error.localizedDescription)")
            }
            var bytes = [UInt8](data)
            if bytes.last == UInt8(ascii: "\n") {
                bytes.removeLast()
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            }
            guard let password = String(validating: bytes, as: UTF8.self) else {
                throw Failure(code: .unreadable, peer: peer.name, file: file, message: "it is not UTF-8 text")
            }
            return try checked(password, peer: peer.name, file: file)
        }
        if let password = peer.password { return try checked(password, peer: peer.name, file: nil) }
        if let secret = peer.passwordSecret {
            let name = secret.namespace.map { "\($0)/\(secret.name)" } ?? secret.name
            throw Failure(code: .secretNeedsFile, peer: peer.name, file: nil,
                          message: "the password is in secret \(name), which lbd cannot read on this host; add "
                              + "`passwordFiles: {\(peer.name): FILE}` to the bgp plugin file")
        }
        return nil
    }

    private static func checked(_ password: String, peer: String, file: String?) throws(Failure) -> String {
        if password.isEmpty {
            throw Failure(code: .empty, peer: peer, file: file, message: "the password is empty")
        }
        if password.utf8.count > maximumLength {
            throw Failure(code: .tooLong, peer: peer, file: file,
                          message: "the password has \(password.utf8.count) bytes; TCP-MD5 keys have at most "
                              + "\(maximumLength)")
        }
        return password
    }
}
