import Glibc
public import Logging
import Synchronization

/// Watches a set of files and calls back when any of them may have changed, until its task is cancelled.
///
/// On Linux it watches the files' *directories* with inotify, so a file that an editor replaces by renaming a new
/// file over it is still followed (and a file that does not exist yet is seen when it appears). It reacts to a
/// file being closed after writing, renamed to or away from a watched name, or deleted; it does not react to
/// every partial write. When inotify cannot be used (no more watches, a directory that does not exist, a file
/// system without inotify events such as NFS), or when a watched directory goes away, it polls the files'
/// modification times instead.
///
/// Cancellation is prompt: the inotify reader thread is woken through a pipe and joined before `run`
/// returns, so no thread is left blocked.
public struct FileWatcher: Sendable {
    /// How changes are detected.
    public enum Mode: String, Hashable, Sendable, CaseIterable, Decodable {
        /// inotify, falling back to polling when it cannot be used.
        case auto
        /// Polling the files' status every poll interval.
        case poll
    }

    /// The watched files.
    public var paths: [String]
    /// How often files are polled when polling.
    public var pollInterval: Duration
    /// How changes are detected.
    public var mode: Mode
    /// Where the watcher says which mechanism it uses and why it falls back.
    public var logger: Logger

    /// Quiet time after an event before calling back, so a burst of events (an editor's save) is one change.
    static let settleTime: Duration = .milliseconds(20)

    /// Creates a watcher; nothing is watched until ``run(onChange:)``.
    public init(paths: [String], pollInterval: Duration = .seconds(2), mode: Mode = .auto,
                logger: Logger = Logger(label: "lbd.file-watcher")) {
        self.paths = paths
        self.pollInterval = pollInterval
        self.mode = mode
        self.logger = logger
    }

    /// Calls `onChange` once as soon as the watch is in place (the files may have changed before it was), then
    /// after every change, until the calling task is cancelled.
    public func run(onChange: @Sendable () async -> Void) async {
        if mode == .auto {
            switch InotifyWatch.make(paths: paths) {
            case .success(let watch):
                logger.debug("watching \(paths.count) file(s) with inotify")
                let lost = await watch.run(onChange: onChange)
                guard let lost, !Task.isCancelled else { return }
                logger.warning("inotify stopped (\(lost)); polling every \(pollInterval) instead")
            case .failure(let reason):
                logger.warning("cannot use inotify (\(reason)); polling every \(pollInterval) instead")
            }
        }
        await poll(onChange: onChange)
    }

    /// The polling fallback: compares every file's status each poll interval.
    func poll(onChange: @Sendable () async -> Void) async {
        var last = paths.map(FileStatus.init(path:))
        await onChange()
        while !Task.isCancelled {
            do { try await Task.sleep(for: pollInterval) } catch { return }
            let current = paths.map(FileStatus.init(path:))
            if current != last {
                last = current
                await onChange()
            }
        }
    }
}

/// What polling compares: whether the file exists, which inode it is, its size and its times.
struct FileStatus: Hashable, Sendable {
    var exists = false
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = 0
    var modified: Duration = .zero
    var changed: Duration = .zero

    init(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return }
        exists = true
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modified = .seconds(status.st_mtim.tv_sec) + .nanoseconds(status.st_mtim.tv_nsec)
        changed = .seconds(status.st_ctim.tv_sec) + .nanoseconds(status.st_ctim.tv_nsec)
    }
}

/// An inotify instance watching directories, read by a dedicated thread that a pipe wakes to stop.
final class InotifyWatch: Sendable {
    private let inotifyFD: Int32
    /// The pipe that wakes the reader thread to stop: the thread polls the read end, `stop()` writes a byte.
    private let stopReadFD: Int32
    private let stopWriteFD: Int32
    /// The watched names of each watch descriptor.
    private let names: [Int32: Set<String>]
    /// Why the reader thread stopped on its own, once it has.
    private let lostReason = Mutex<String?>(nil)

    private static let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM)
        | UInt32(IN_DELETE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)

    private init(inotifyFD: Int32, stopReadFD: Int32, stopWriteFD: Int32, names: [Int32: Set<String>]) {
        self.inotifyFD = inotifyFD
        self.stopReadFD = stopReadFD
        self.stopWriteFD = stopWriteFD
        self.names = names
    }

    deinit {
        for fd in [inotifyFD, stopReadFD, stopWriteFD] { close(fd) }
    }

    /// Sets up the watches, or says why it cannot.
    static func make(paths: [String]) -> Result<InotifyWatch, InotifyFailure> {
        let inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotifyFD >= 0 else { return .failure(InotifyFailure("inotify_init1", errno: errno)) }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let failure = InotifyFailure("pipe", errno: errno)
            close(inotifyFD)
            return .failure(failure)
        }
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let (stopReadFD, stopWriteFD) = (pipeFDs[0], pipeFDs[1])
        var byDirectory: [String: Set<String>] = [:]
        for path in paths {
            let (directory, name) = split(path)
            byDirectory[directory, default: []].insert(name)
        }
        var names: [Int32: Set<String>] = [:]
        for (directory, files) in byDirectory.sorted(by: { $0.key < $1.key }) {
            let wd = inotify_add_watch(inotifyFD, directory, mask | UInt32(IN_ONLYDIR))
            guard wd >= 0 else {
                let failure = InotifyFailure("watching \(directory)", errno: errno)
                for fd in [inotifyFD, stopReadFD, stopWriteFD] { close(fd) }
                return .failure(failure)
            }
            names[wd, default: []].formUnion(files)
        }
        return .success(InotifyWatch(inotifyFD: inotifyFD, stopReadFD: stopReadFD, stopWriteFD: stopWriteFD,
                                     names: names))
    }

    /// Reads events until cancelled (returns nil) or until a directory watch is lost (returns why).
    func run(onChange: @Sendable () async -> Void) async -> String? {
        let (events, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let thread: pthread_t
        do {
            thread = try ReaderThread.start { [self] in
                let reason = readLoop { continuation.yield() }
                lostReason.withLock { $0 = reason }
                continuation.finish()
            }
        } catch {
            return "cannot start its reader thread: \(error)"
        }
        await withTaskCancellationHandler {
            await onChange()
            for await _ in events {
                do { try await Task.sleep(for: FileWatcher.settleTime) } catch { break }
                await onChange()
            }
        } onCancel: {
            stop()
        }
        stop()
        pthread_join(thread, nil)
        return lostReason.withLock { $0 }
    }

    /// Wakes the reader thread so it returns.
    private func stop() {
        var byte: UInt8 = 1
        _ = write(stopWriteFD, &byte, 1)
    }

    /// The reader thread's loop; calls `changed` for events on watched names, returns why it stopped.
    private func readLoop(changed: () -> Void) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopReadFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return "poll failed: \(String(cString: strerror(errno)))"
            }
            if fds[1].revents != 0 { return nil }
            if fds[0].revents & Int16(POLLIN) == 0 { return "the inotify descriptor failed" }
            let count = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return "read failed: \(String(cString: strerror(errno)))"
            }
            var matched = false
            var lostReason: String?
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + 16 <= count {
                    let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }
                    offset += 16 + length
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { matched = true; continue }
                    if mask & (UInt32(IN_IGNORED) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) != 0 {
                        lostReason = "a watched directory was removed or moved"
                        matched = true
                        continue
                    }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    if names[wd]?.contains(name) == true { matched = true }
                }
            }
            if matched { changed() }
            if let lostReason { return lostReason }
        }
    }

    /// The directory and the name of `path`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }
}

/// Why inotify cannot be used: the call that failed and the system's error.
struct InotifyFailure: Error, CustomStringConvertible {
    var description: String

    init(_ call: String, errno: Int32) {
        description = "\(call): \(String(cString: strerror(errno)))"
    }
}

/// Starts a POSIX thread running a closure (the inotify reader must block outside Swift's cooperative pool).
enum ReaderThread {
    /// Holds the closure across the C boundary.
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new joinable thread.
    static func start(_ body: @escaping @Sendable () -> Void) throws(InotifyFailure) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw InotifyFailure("pthread_create", errno: result)
        }
        return thread
    }
}
