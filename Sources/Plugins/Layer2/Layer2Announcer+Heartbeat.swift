import LBKernel

extension Membership.Configuration {
    /// How long a node goes without a heartbeat before its peers declare it dead: `interval` × (`deadAfter` + ½),
    /// as ``MembershipStateMachine`` counts it. It is also the startup hold, during which a starting node listens
    /// before owning anything.
    var detectionTime: Duration { interval.duration * deadAfter + interval.duration / 2 }
}
