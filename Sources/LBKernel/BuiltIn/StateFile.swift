import Foundation
import Glibc

/// The file where the file source keeps the addresses its services hold, so a restart (even after `kill -9`)
/// gives every service the same addresses.
///
/// The file is JSON with a checksum of its payload, so a truncated or corrupted file is detected rather than
/// half-read:
///
/// ```json
/// {
///   "version": 1,
///   "allocations": {
///     "default/web": {"addresses": ["192.0.2.10"], "pool": "default"}
///   },
///   "checksum": "fnv1a64:5d3b6f1c0a9e8e21"
/// }
/// ```
///
/// The checksum is FNV-1a (64 bit) over the allocations written compactly with sorted keys and no white space
/// (``canonicalPayload(_:)``). Writes are atomic: a temporary file in the same directory is written and
/// `fsync`ed, renamed over the file, and the directory is `fsync`ed, so the file is always the old or the new
/// content, never a mixture.
public struct StateFile: Sendable {
    /// The path of the file.
    public var path: String

    /// The format version this lbd writes and reads.
    public static let version = 1

    /// Creates a handle for the file at `path`; nothing is read or written yet.
    public init(path: String) { self.path = path }

    /// Reads the allocations; nil when the file does not exist (a first run).
    ///
    /// - Throws: ``StateFileError`` when the file cannot be read, is empty or cut short, is not JSON, fails its
    ///   checksum or holds something else. The file is never changed.
    public func read() throws(StateFileError) -> [ServiceID: Allocation]? {
        let bytes: [UInt8]
        do {
            bytes = try PolicyFileLoader.readFile(atPath: path)
        } catch {
            if error.errno == ENOENT { return nil }
            throw StateFileError(.io, path: path, "cannot be read: \(error.message)")
        }
        return try Self.decode(bytes, path: path)
    }

    /// Replaces the file's content with `allocations`, atomically and durably.
    ///
    /// Missing parent directories are created. On failure the previous file is left as it was.
    public func write(_ allocations: [ServiceID: Allocation]) throws(StateFileError) {
        let bytes = Self.encode(allocations)
        let directory = Self.directory(of: path)
        try Self.makeDirectories(directory, for: path)
        let name = path.split(separator: "/").last.map(String.init) ?? "state"
        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError(path, "cannot create the temporary file \(temporary)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = Self.ioError(path, "cannot write the temporary file \(temporary)")
                close(fd)
                unlink(temporary)
                throw error
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            let error = Self.ioError(path, "cannot fsync the temporary file \(temporary)")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = Self.ioError(path, "cannot rename \(temporary) over it")
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw Self.ioError(path, "cannot open its directory to fsync it") }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw Self.ioError(path, "cannot fsync its directory") }
    }

    /// The file's bytes for `allocations`: pretty JSON, one service per line, ids sorted, with the checksum.
    public static func encode(_ allocations: [ServiceID: Allocation]) -> [UInt8] {
        let entries = sortedEntries(allocations)
        var text = "{\n  \"version\": \(version),\n  \"allocations\": {"
        for (index, entry) in entries.enumerated() {
            text += (index == 0 ? "\n    " : ",\n    ") + entry
        }
        text += entries.isEmpty ? "},\n" : "\n  },\n"
        text += "  \"checksum\": \"\(checksum(of: canonicalPayload(allocations)))\"\n}\n"
        return Array(text.utf8)
    }

    /// The allocations as compact JSON with ids sorted: the text the checksum covers.
    public static func canonicalPayload(_ allocations: [ServiceID: Allocation]) -> String {
        "{" + sortedEntries(allocations).joined(separator: ",") + "}"
    }

    /// `fnv1a64:` and 16 hex digits: the FNV-1a 64-bit hash of `payload`'s UTF-8 bytes.
    public static func checksum(of payload: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in payload.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Reads the file's bytes.
    ///
    /// - Throws: ``StateFileError`` naming `path` and what is wrong.
    public static func decode(_ bytes: [UInt8], path: String) throws(StateFileError) -> [ServiceID: Allocation] {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        guard let first = bytes.first(where: { !isSpace($0) }), let last = bytes.last(where: { !isSpace($0) })
        else {
            throw StateFileError(.truncated, path: path, bytes.isEmpty
                ? "is empty (0 bytes); it was probably cut short by a crash or a full disk"
                : "holds only white space; it was probably cut short")
        }
        if first == UInt8(ascii: "{") && (last != UInt8(ascii: "}") || endsInsideJSON(bytes)) {
            throw StateFileError(.truncated, path: path,
                                 "is cut short: its \(bytes.count) bytes end in the middle of the JSON")
        }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(bytes))
        } catch DecodingError.keyNotFound(let key, _) {
            throw StateFileError(.invalidContent, path: path,
                                 "is not an lbd state file: the key '\(key.stringValue)' is missing")
        } catch DecodingError.typeMismatch(_, let context) {
            throw StateFileError(.invalidContent, path: path, "is not an lbd state file: "
                + "'\(StrictYAMLDecoder.pathString(context.codingPath))' has the wrong type")
        } catch {
            let start = bytes.prefix(8).map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined(separator: " ")
            throw StateFileError(.notJSON, path: path, "is not JSON (it begins with the bytes \(start)); "
                + "it is corrupted or is not an lbd state file")
        }
        guard contents.version == version else {
            throw StateFileError(.unsupportedVersion, path: path,
                                 "has format version \(contents.version), but this lbd reads only version \(version)"
                                    + " (was it written by a newer lbd?)")
        }
        var raw: [ServiceID: Allocation] = [:]
        var bad: [String] = []
        for (key, entry) in contents.allocations {
            let addresses = entry.addresses.compactMap(IPAddress.init)
            guard key.contains("/"), addresses.count == entry.addresses.count else { bad.append(key); continue }
            raw[ServiceID(key)] = Allocation(addresses: addresses, pool: entry.pool)
        }
        let expected = checksum(of: canonicalPayload(contents.allocations))
        guard contents.checksum == expected else {
            throw StateFileError(.checksumMismatch, path: path,
                                 "is corrupted: its checksum is \(contents.checksum) but its content sums to "
                                    + "\(expected)")
        }
        guard bad.isEmpty else {
            throw StateFileError(.invalidContent, path: path,
                                 "has invalid entries (the key must be namespace/name and every address valid): "
                                    + bad.sorted().joined(separator: ", "))
        }
        return raw
    }

    // MARK: - Helpers

    /// True when the brackets and strings of `bytes` are still open at its end: JSON cut short.
    static func endsInsideJSON(_ bytes: [UInt8]) -> Bool {
        var depth = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return inString || depth > 0
    }

    /// The raw JSON form; addresses stay text so the checksum covers exactly what is written.
    struct Contents: Decodable {
        var version: Int
        var allocations: [String: Entry]
        var checksum: String
    }

    struct Entry: Decodable {
        var addresses: [String]
        var pool: String
    }

    private static func canonicalPayload(_ allocations: [String: Entry]) -> String {
        let entries = allocations.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map {
            entry(key: $0, addresses: allocations[$0]!.addresses, pool: allocations[$0]!.pool)
        }
        return "{" + entries.joined(separator: ",") + "}"
    }

    private static func sortedEntries(_ allocations: [ServiceID: Allocation]) -> [String] {
        allocations.map { ($0.key.description, $0.value) }
            .sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            .map { entry(key: $0.0, addresses: $0.1.addresses.map(\.description), pool: $0.1.pool) }
    }

    /// `"key":{"addresses":["a","b"],"pool":"p"}`.
    private static func entry(key: String, addresses: [String], pool: String) -> String {
        let list = addresses.map(quoted).joined(separator: ",")
        return "\(quoted(key)):{\"addresses\":[\(list)],\"pool\":\(quoted(pool))}"
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func makeDirectories(_ directory: String, for path: String) throws(StateFileError) {
        var status = stat()
        if stat(directory, &status) == 0 { return }
        let parent = Self.directory(of: directory)
        if parent != directory { try makeDirectories(parent, for: path) }
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw ioError(path, "cannot create its directory \(directory)")
        }
    }

    private static func ioError(_ path: String, _ what: String) -> StateFileError {
        StateFileError(.io, path: path, "cannot be written: \(what): \(String(cString: strerror(errno)))")
    }
}

/// Why the state file could not be read or written: the file, what is wrong, and what to do.
public struct StateFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code for what is wrong.
    public var code: Code
    /// The state file's path.
    public var path: String
    /// What is wrong, such as `is cut short: its 25 bytes end in the middle of the JSON`.
    public var message: String

    /// The kinds of problem.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// The file could not be read or written (permissions, disk full, …).
        case io
        /// The file is empty or ends before its content does.
        case truncated
        /// The file is not JSON at all.
        case notJSON
        /// The file's checksum does not match its content.
        case checksumMismatch
        /// The file is JSON but not in the state file's form (keys missing, bad addresses, …).
        case invalidContent
        /// The file was written in a format version this lbd does not read.
        case unsupportedVersion
    }

    /// Creates an error.
    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// What the user can do about a damaged file; nil for I/O errors.
    public var advice: String? {
        guard code != .io else { return nil }
        return "lbd leaves it untouched and will not start with it: fix it, or move it away to start without "
            + "recorded addresses (services may then get different addresses)"
    }

    /// One line: the file, what is wrong and, for a damaged file, how to recover.
    public var description: String {
        "state file \(path) \(message)" + (advice.map { "; \($0)" } ?? "")
    }
}
