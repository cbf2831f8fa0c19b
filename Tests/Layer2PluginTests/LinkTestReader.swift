import Foundation
import LabKit
import Layer2Plugin
import Synchronization

/// Runs a `PcapLink`'s reader on its own thread for a test, keeping every frame and how `run` ended.
final class LinkTestReader: Sendable {
    /// The link being read.
    let link: PcapLink
    private let frames = Mutex<[[UInt8]]>([])
    private let outcome = Mutex<Result<Void, LinkError>?>(nil)

    /// Starts reading; `onFrame` (default: nothing) also runs on the reader thread for each frame.
    init(_ link: PcapLink, onFrame: @escaping @Sendable ([UInt8]) -> Void = { _ in }) {
        self.link = link
        let thread = Thread { [self] in
            let result: Result<Void, LinkError>
            do throws(LinkError) {
                try link.run { frame in
                    self.frames.withLock { $0.append(frame) }
                    onFrame(frame)
                }
                result = .success(())
            } catch {
                result = .failure(error)
            }
            self.outcome.withLock { $0 = result }
        }
        thread.start()
    }

    /// The frames received so far, in order.
    var received: [[UInt8]] { frames.withLock { $0 } }

    /// How `run` ended, nil while it runs.
    var ended: Result<Void, LinkError>? { outcome.withLock { $0 } }

    /// Waits until a received frame satisfies `predicate`; fails after `limit`.
    @discardableResult
    func waitForFrame(within limit: Duration = .seconds(30), _ what: String,
                      where predicate: ([UInt8]) -> Bool) async throws -> [UInt8] {
        try await LinkTestReader.poll(within: limit, what) { received.first(where: predicate) }
    }

    /// Waits until `run` has returned or thrown; fails after `limit`.
    @discardableResult
    func waitForEnd(within limit: Duration = .seconds(30)) async throws -> Result<Void, LinkError> {
        try await LinkTestReader.poll(within: limit, "the reader of \(link.interface) to end") { ended }
    }

    /// Checks `check` every 5 ms until it gives a value; throws after `limit`.
    @discardableResult
    static func poll<T>(within limit: Duration, _ what: String, _ check: () -> T?) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while true {
            if let value = check() { return value }
            guard clock.now < deadline else {
                throw LabError("timed out after \(limit) waiting for \(what)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
