import Foundation
import LabKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The harness's process handling (no root needed): what a child inherits, and that a command's output ends when
/// the command does, whatever else runs meanwhile.
@Suite
struct ProcessRouterTests {
    @Test("a child starts with no blocked signals and descriptors 0-2 only")
    func childInheritsNothing() async throws {
        // An inheritable descriptor of the test process: the child must not get it.
        let leaky = open("/dev/null", O_RDONLY)
        defer { close(leaky) }
        let mask = try await Command.check(["grep", "SigBlk", "/proc/self/status"]).stdout
        #expect(mask == "SigBlk:\t0000000000000000\n")
        // The shell's own descriptors (`ls /proc/self/fd` would list the directory ls opens too).
        let descriptors = try await Command.check(["sh", "-c", "ls /proc/$$/fd"]).stdout
        #expect(descriptors.split(separator: "\n").sorted() == ["0", "1", "2"], "\(descriptors)")
    }

    @Test("a daemon started while a command runs does not keep the command's output open")
    func commandEndsDespiteConcurrentDaemon() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("lbdt-process-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        let clock = ContinuousClock()
        let start = clock.now
        async let command = Command.check(["sh", "-c", "sleep 0.3; echo done"], timeout: .seconds(20))
        try await Task.sleep(for: .milliseconds(100))
        let daemon = try LabProcess(name: "sleeper", command: ["sleep", "600"], logFile: log)
        let result = try await command
        #expect(result.stdout == "done\n")
        // Well below the command's own 20 s timeout (a held pipe would run into it), with room for a loaded machine.
        #expect(start.duration(to: clock.now) < .seconds(15))
        await daemon.stop(SIGTERM, grace: .seconds(5))
        #expect(!daemon.isRunning)
    }

    @Test("SIGTERM stops a daemon (its handlers are the defaults, its mask empty)")
    func sigtermStops() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("lbdt-process-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        let daemon = try LabProcess(name: "sleeper", command: ["sleep", "600"], logFile: log)
        daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(5)) == 128 + SIGTERM)
    }

    @Test("a command that outlives its timeout is killed and reported")
    func timeout() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: LabError.self) {
            try await Command.run(["sleep", "30"], timeout: .milliseconds(300))
        }
        // Well below the 30 s the command would take, with room for a loaded machine.
        #expect(start.duration(to: clock.now) < .seconds(20))
    }
}
