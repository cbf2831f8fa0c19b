/// Lets one lab run at a time in the test process, whichever test target it belongs to: each lab holds a few daemons
/// and the timing tests of one must not share a small machine with another's.
public actor LabGate {
    /// The gate every lab goes through (BGPRouterTests' `withLab`, Layer2LabTests' `withLayer2Lab`).
    public static let shared = LabGate()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Waits until no other lab is running, then takes the turn.
    public func acquire() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    /// Hands the turn to the next waiting lab.
    public func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
