// LineBuffer: splits a watch stream's body, whose chunks are not aligned to lines, into JSON lines.

/// Collects bytes and hands out complete newline-terminated lines (without the newline); empty lines are skipped.
public struct LineBuffer: Sendable {
    private var bytes: [UInt8] = []
    private var start = 0
    /// The longest line accepted; a longer one is an error (a broken or hostile stream).
    public let maximumLineLength: Int

    /// Creates an empty buffer.
    public init(maximumLineLength: Int = 64 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// Appends bytes from the stream.
    public mutating func append<Bytes: Sequence>(_ chunk: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeSubrange(0..<start)
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line, or nil when none is buffered.
    ///
    /// - Throws: ``TooLong`` when more than ``maximumLineLength`` bytes arrive without a newline.
    public mutating func nextLine() throws(TooLong) -> [UInt8]? {
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var end = newline
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = Array(bytes[start..<end])
            start = newline + 1
            if !line.isEmpty { return line }
        }
        if bytes.count - start > maximumLineLength { throw TooLong(length: bytes.count - start) }
        return nil
    }

    /// The bytes after the last newline (a partial line).
    public var pendingCount: Int { bytes.count - start }

    /// A line longer than ``maximumLineLength``.
    public struct TooLong: Error, Hashable, Sendable {
        /// The bytes buffered without a newline.
        public var length: Int
    }
}
