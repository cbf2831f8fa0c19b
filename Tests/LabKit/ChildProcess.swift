import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program the lab started with `posix_spawn`, reaped by its own pid.
///
/// Not Foundation's `Process`, for two reasons met here. A child inherits the signal mask of the thread that spawns
/// it, and the test runner's threads block SIGINT and SIGTERM: a daemon started from one ignores SIGTERM. And
/// `Process` leaves every inheritable descriptor of the test process open in the child: a daemon started while
/// another command's pipe was open kept that pipe's write end, so the command's output never reached end of file
/// and the test hung. Here the child gets an empty signal mask, default signal handlers, and descriptors 0–2 only.
public final class ChildProcess: Sendable {
    /// The child's process ID.
    public let pid: pid_t
    private let exit = Mutex<Int32?>(nil)

    /// Starts `arguments` (the first is the program, looked up like `Command.path`) with `stdin`, `stdout` and
    /// `stderr` as its descriptors 0, 1 and 2. The caller keeps (and closes) its own copies.
    public init(_ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32,
         environment: [String: String]? = nil) throws {
        guard let program = arguments.first, let executable = Command.path(of: program) else {
            throw LabError("cannot run `\(arguments.joined(separator: " "))`: \(arguments.first ?? "nothing") is not installed")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        ChildProcess.closeInheritedDescriptors(&actions)

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments.dropFirst()).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw LabError("cannot start `\(arguments.joined(separator: " "))`: \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// declare.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Closes every descriptor above 2 in the child: at once with `addclosefrom`, else one by one from
    /// /proc/self/fd (a descriptor opened meanwhile by another thread could slip through).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom {
            _ = addCloseFrom(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    /// The exit status once the child has exited (128 + signal when a signal ended it), else nil.
    public var exitStatus: Int32? {
        exit.withLock { exit in
            if exit == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    let signal = status & 0x7F
                    exit = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
                }
            }
            return exit
        }
    }

    /// True until the child has exited (and been reaped).
    public var isRunning: Bool { exitStatus == nil }

    /// Sends `signal` to the child, unless it has been reaped (its pid may then belong to another process).
    public func send(_ signal: Int32) {
        exit.withLock { exit in
            if exit == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits (bounded) for the child to exit and returns its status.
    @discardableResult
    public func waitForExit(within limit: Duration) async throws -> Int32 {
        try await poll("pid \(pid) to exit", within: limit, every: .milliseconds(5)) { exitStatus }
    }

    deinit {
        // Never leave a running child or a zombie behind.
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// Reads a pipe to end of file on a thread of its own; `abandon()` stops it early (a descendant of the command may
/// hold the write end open).
public final class PipeReader: Sendable {
    private let fd: Int32
    private let state = Mutex<(data: Data, abandoned: Bool, done: Bool, waiter: CheckedContinuation<Data, Never>?)>(
        (Data(), false, false, nil))

    /// Starts reading `fd` (which it closes when done).
    public init(_ fd: Int32) {
        self.fd = fd
        Thread.detachNewThread { [self] in run() }
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !state.withLock({ $0.abandoned }) {
            let ready = poll(&poller, 1, 100)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { if ready < 0 { break } else { continue } }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            state.withLock { $0.data.append(contentsOf: buffer[0..<count]) }
        }
        close(fd)
        let (waiter, data) = state.withLock { state -> (CheckedContinuation<Data, Never>?, Data) in
            state.done = true
            defer { state.waiter = nil }
            return (state.waiter, state.data)
        }
        waiter?.resume(returning: data)
    }

    /// Stops reading: `data()` returns what was read so far.
    public func abandon() { state.withLock { $0.abandoned = true } }

    /// Everything read, once the pipe reached end of file (or the reader was abandoned).
    public func data() async -> Data {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Data? in
                if state.done { return state.data }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
