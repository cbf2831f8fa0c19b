import Foundation
import Glibc

/// A command the link tests ran, with its exit status and output (stdout and stderr together).
struct LinkTestCommand {
    /// The exit status (128 + signal when a signal ended it).
    var status: Int32
    /// What it printed.
    var output: String

    /// A failed command, naming it, its status and its output.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `arguments` (the first is looked up in the usual sbin/bin directories) and waits for it.
    ///
    /// Spawned with `posix_spawn`, descriptors 0–2 only: the output pipe is close-on-exec, so commands other tests
    /// start meanwhile do not inherit it (Foundation's `Process` lets them, which can keep a reader waiting).
    @discardableResult
    static func run(_ arguments: [String]) throws -> LinkTestCommand {
        guard let program = arguments.first, let path = locate(program) else {
            throw Failure(description: "`\(arguments.joined(separator: " "))`: \(arguments.first ?? "") not found")
        }
        // A close-on-exec socket pair as the output pipe (Glibc's module lacks pipe2; pipe + fcntl would race).
        var pipe: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &pipe) == 0 else {
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, devNull, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments.dropFirst()).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(pipe[1])
        close(devNull)
        defer { close(pipe[0]) }
        guard spawned == 0 else {
            throw Failure(description: "cannot start `\(arguments.joined(separator: " "))`: \(String(cString: strerror(spawned)))")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += chunk.prefix(count)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return LinkTestCommand(status: signal == 0 ? (status >> 8) & 0xFF : 128 + signal,
                               output: String(decoding: output, as: UTF8.self))
    }

    /// Runs `arguments` and throws unless it exits with 0.
    @discardableResult
    static func check(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw Failure(description: "`\(arguments.joined(separator: " "))` exited with \(result.status): \(result.output)")
        }
        return result.output
    }

    /// Whether `program` is installed.
    static func has(_ program: String) -> Bool { locate(program) != nil }

    private static func locate(_ program: String) -> String? {
        if program.hasPrefix("/") { return program }
        return ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .map { "\($0)/\(program)" }
            .first { access($0, X_OK) == 0 }
    }
}
