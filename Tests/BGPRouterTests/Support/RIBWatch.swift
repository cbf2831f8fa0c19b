import Foundation
import LBKernel
import Synchronization

/// Watches a router's RIB in the background while a test does something (restart lbd, cut a link), recording
/// every reading in which some expected prefix was missing: "the routes are never missing in between".
final class RIBWatch: Sendable {
    /// One reading that lacked prefixes.
    struct Gap: Sendable, CustomStringConvertible {
        /// When, since the watch started.
        var at: Duration
        /// The prefixes that were not there.
        var missing: [IPPrefix]

        /// `at 1.2 s: missing 198.51.100.11/32`.
        var description: String { "at \(at): missing \(missing.map(\.description).joined(separator: ", "))" }
    }

    private let state = Mutex<(readings: Int, gaps: [Gap], errors: [String])>((0, [], []))
    /// Set when the body has returned: the watch takes one more reading, then stops.
    private let finished = Mutex(false)

    /// How many readings were taken.
    var readings: Int { state.withLock { $0.readings } }
    /// The readings that lacked prefixes.
    var gaps: [Gap] { state.withLock { $0.gaps } }
    /// Readings that failed (the router did not answer).
    var errors: [String] { state.withLock { $0.errors } }

    /// Runs `body` while reading `router`'s RIB of `family` every `interval`, and returns `body`'s result. The
    /// watch (`gaps`, `readings`) says whether all of `prefixes` were there at every reading.
    static func watching<T: Sendable>(_ router: any Router, _ family: IPFamily, for prefixes: [IPPrefix],
                                      every interval: Duration = .milliseconds(100),
                                      during body: @Sendable () async throws -> T) async throws -> (T, RIBWatch) {
        let watch = RIBWatch()
        let wanted = Set(prefixes)
        let value = try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                let clock = ContinuousClock(), start = clock.now
                while !Task.isCancelled {
                    // A reading that starts after the body has returned is the last one: the watch always reads the
                    // final state once, whatever the machine's load did to the readings before.
                    let last = watch.finished.withLock { $0 }
                    do {
                        let present = Set(try await router.routes(family).map(\.prefix))
                        let missing = wanted.subtracting(present).sorted()
                        watch.state.withLock { state in
                            state.readings += 1
                            if !missing.isEmpty { state.gaps.append(Gap(at: start.duration(to: clock.now), missing: missing)) }
                        }
                    } catch {
                        if Task.isCancelled { break }
                        watch.state.withLock { $0.errors.append("\(error)") }
                    }
                    if last { break }
                    try? await Task.sleep(for: interval)
                }
                return nil
            }
            let value: T
            do {
                value = try await body()
            } catch {
                group.cancelAll()
                throw error
            }
            watch.finished.withLock { $0 = true }
            try await group.waitForAll()
            return value
        }
        return (value, watch)
    }
}
