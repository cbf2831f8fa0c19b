/// The kernel's inputs from every source merged into one: the rules `lbd run`, `lbd plan` and `lbd check` share.
///
/// Policies are concatenated (static policy first, then sources in order; validation rejects duplicates between
/// them). A service published by two sources is taken from the first and listed in ``duplicateServices``.
/// Recorded addresses and nodes are taken from the first source that has them; this node is always present.
public struct MergedInputs: Hashable, Sendable {
    /// The merged, not yet validated policy.
    public var policy: Policy
    /// Every service, each once.
    public var services: [Service]
    /// Addresses recorded earlier, by service.
    public var recorded: [ServiceID: [IPAddress]]
    /// Every node, each once, including this node.
    public var nodes: [Node]
    /// Services published by more than one source (the first one is used).
    public var duplicateServices: [ServiceID]
    /// Services whose source does not allocate (``SourceSnapshot/allocates`` is false): they follow their
    /// recorded addresses.
    public var followedServices: Set<ServiceID>

    /// Merges `snapshots` (in source order) with the static policy and nodes, making sure `node` is present.
    public init(staticPolicy: Policy = .empty, staticNodes: [Node] = [], snapshots: [SourceSnapshot], node: Node) {
        policy = staticPolicy
        services = []
        recorded = [:]
        duplicateServices = []
        followedServices = []
        var seen: Set<ServiceID> = []
        var nodesByName: [String: Node] = [:]
        for staticNode in staticNodes where nodesByName[staticNode.name] == nil {
            nodesByName[staticNode.name] = staticNode
        }
        for snapshot in snapshots {
            policy = policy.merged(with: snapshot.policy)
            for service in snapshot.services {
                if seen.insert(service.id).inserted {
                    services.append(service)
                    if !snapshot.allocates { followedServices.insert(service.id) }
                } else {
                    duplicateServices.append(service.id)
                }
            }
            recorded.merge(snapshot.recorded) { first, _ in first }
            for known in snapshot.nodes where nodesByName[known.name] == nil { nodesByName[known.name] = known }
        }
        if nodesByName[node.name] == nil { nodesByName[node.name] = node }
        nodes = nodesByName.values.sorted()
    }
}
