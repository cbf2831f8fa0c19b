import LBKernel

extension Membership.Configuration {
    /// How long a node waits without a heartbeat before declaring a peer dead (`interval` × `deadAfter`): also the
    /// startup hold, during which a starting node listens before owning anything.
    var detectionTime: Duration { interval.duration * deadAfter }
}
