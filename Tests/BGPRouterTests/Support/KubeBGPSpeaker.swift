import Foundation
import KubeTestServer
import LabKit
import LBKernel

/// lbd in the router lab's speaker namespace with the `kubernetes` source instead of the file source, driven by the
/// API test server (issue 5): an IPAddressPool, a BGPPeer (metallb.io/v1beta2) naming the lab's router for each
/// address family, a BGPAdvertisement in `lbd-system`, the Node `node-a`, and Services created with kubectl.
///
/// The server runs in the test process on `127.0.0.1:<port>`; a `NamespaceForwarder` opens that same address inside
/// the speaker's namespace, so lbd's kubeconfig is the server's own. Use it through `KubeBGPSpeaker.with`, which
/// always stops the relay and the server (the lab kills lbd).
final class KubeBGPSpeaker: Sendable {
    /// Where the MetalLB objects and the Lease live (the source's `namespace`).
    static let namespace = "lbd-system"
    /// lbd's bearer token.
    static let token = "lbd-router-lab"
    /// lbd's node name.
    static let nodeName = "node-a"
    /// The community the BGPAdvertisement attaches.
    static let community = BGPCommunity.standard(UInt16(LBDScenario.lbdASN), 100)

    /// The lab.
    let lab: NetworkLab
    /// The API test server.
    let api: KubeTestServer
    /// kubectl with lbd's kubeconfig, from the test's own namespace.
    let kubectl: Kubectl
    /// lbd, its files written from an empty file-source policy that it does not read.
    let lbd: LBDSpeaker
    /// The address families: a BGPPeer over each (the router's address of that family) and a pool address of each.
    let families: [IPFamily]

    private init(lab: NetworkLab, api: KubeTestServer, kubectl: Kubectl, lbd: LBDSpeaker, families: [IPFamily]) {
        self.lab = lab
        self.api = api
        self.kubectl = kubectl
        self.lbd = lbd
        self.families = families
    }

    /// The pool's address of `family`, outside the lab's link so the address a Service gets is known:
    /// `10.<lab's subnet>.100.10` or `fd00:<lab's subnet>:0:100::10`.
    func poolAddress(_ family: IPFamily) -> IPAddress {
        switch family {
        case .ipv4:
            let octets = lab.router.ipv4.octets
            return .v4(IPv4Address(octets[0], octets[1], 100, 10))
        case .ipv6:
            return .v6(IPv6Address((lab.router.ipv6.value >> 64) << 64 | UInt128(0x100) << 64 | 0x10))
        }
    }

    /// The BGPPeer's name for the session over `family`.
    static func peerName(_ family: IPFamily) -> String { family == .ipv4 ? "router-v4" : "router-v6" }

    /// The configuration objects, as a user would write them: the namespace, the Node, the pool, the router as a
    /// BGPPeer per family (eBGP, lbd connects), and a BGPAdvertisement of the pool with a community.
    var manifests: String {
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: \(Self.namespace)}
        ---
        apiVersion: v1
        kind: Node
        metadata: {name: \(Self.nodeName), labels: {kubernetes.io/hostname: \(Self.nodeName)}}
        ---
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: lab, namespace: \(Self.namespace)}
        spec:
          addresses: [\(families.map { "\"\(poolAddress($0))/\($0.bitWidth)\"" }.joined(separator: ", "))]
        ---
        \(families.map { family in """
            apiVersion: metallb.io/v1beta2
            kind: BGPPeer
            metadata: {name: \(Self.peerName(family)), namespace: \(Self.namespace)}
            spec:
              myASN: \(LBDScenario.lbdASN)
              peerASN: \(LBDScenario.routerASN)
              peerAddress: "\(lab.router.address(family))"
              holdTime: 9s
            ---

            """ }.joined())\
        apiVersion: metallb.io/v1beta1
        kind: BGPAdvertisement
        metadata: {name: to-router, namespace: \(Self.namespace)}
        spec:
          ipAddressPools: [lab]
          communities: ["\(LBDScenario.lbdASN):100"]

        """
    }

    /// lbd's `plugins.d` file for the source: the lab's kubeconfig, Lease timing short enough for a test.
    var sourcePlugin: String {
        """
        plugin: kubernetes
        name: cluster
        kubeconfig: \(lab.file("kubeconfig").path)
        namespace: \(Self.namespace)
        leaderElection: {enabled: true, leaseName: lbd-allocator, leaseDuration: 2s, renewDeadline: 1500ms, retryPeriod: 200ms}

        """
    }

    /// A LoadBalancer Service `name` in `default` (TCP 80, externalTrafficPolicy Cluster; SingleStack IPv4, or
    /// RequireDualStack with both families) and its EndpointSlice with one ready endpoint on lbd's node: with no
    /// ready endpoint a Cluster service is announced nowhere (metallb.md).
    ///
    /// The cluster IPs are given, one per family, as a dual-stack cluster assigns them: lbd (as MetalLB) rejects
    /// RequireDualStack without a cluster IP of each family.
    func service(_ name: String) -> String {
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: \(name)-1
          namespace: default
          labels: {kubernetes.io/service-name: \(name)}
        addressType: IPv4
        endpoints:
        - addresses: [10.244.0.10]
          conditions: {ready: true, serving: true, terminating: false}
          nodeName: \(Self.nodeName)
        ports:
        - {port: 8080, protocol: TCP}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: default}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: Cluster
          clusterIP: 10.96.200.10
          clusterIPs: [\(families.map { $0 == .ipv4 ? "10.96.200.10" : "\"fd00:96::10\"" }.joined(separator: ", "))]
          ipFamilyPolicy: \(families.count == 2 ? "RequireDualStack" : "SingleStack")
          ipFamilies: [\(families.map { $0 == .ipv4 ? "IPv4" : "IPv6" }.joined(separator: ", "))]
          selector: {app: \(name)}
          ports:
          - {port: 80, targetPort: 8080, protocol: TCP}

        """
    }

    /// Starts the server, the relay and kubectl, writes the objects (for `families`) and lbd's files, runs `body`,
    /// then always stops the relay and the server.
    static func with<T>(_ lab: NetworkLab, families: [IPFamily] = [.ipv4],
                        isolation: isolated (any Actor)? = #isolation,
                        _ body: (KubeBGPSpeaker) async throws -> T) async throws -> T {
        let api = try KubeTestServer(tokens: [token: .full])
        try await api.start()
        let forwarder: NamespaceForwarder
        do {
            forwarder = try await NamespaceForwarder.start(port: api.port, into: [lab.speaker.namespace],
                                                           directory: lab.directory)
        } catch {
            await api.shutdown()
            throw error
        }
        let result: Result<T, any Error>
        do {
            try api.kubeconfig(token: token).write(to: lab.file("kubeconfig"), atomically: true, encoding: .utf8)
            let kubectl = try Kubectl(kubeconfig: lab.file("kubeconfig"), directory: lab.file("kubectl"))
            let lbd = try LBDSpeaker(lab: lab, nodeName: nodeName, policy: LBDPolicy(peers: [], services: []))
            let speaker = KubeBGPSpeaker(lab: lab, api: api, kubectl: kubectl, lbd: lbd, families: families)
            try await kubectl.create("config", speaker.manifests)
            let plugins = lbd.directory.appendingPathComponent("plugins.d")
            try FileManager.default.removeItem(at: plugins.appendingPathComponent("files.yaml"))
            try speaker.sourcePlugin.write(to: plugins.appendingPathComponent("kubernetes.yaml"), atomically: true,
                                           encoding: .utf8)
            result = .success(try await body(speaker))
        } catch {
            result = .failure(error)
        }
        await forwarder.stop()
        await api.shutdown()
        return try result.get()
    }

    /// The addresses in Service `default/name`'s `status.loadBalancer.ingress`, or nil when there is no such Service.
    func ingress(_ name: String) -> [String]? { api.serviceIngress(name: name) }

    /// Waits (bounded) until Service `default/name` has addresses in its status, and returns them.
    func waitForIngress(_ name: String, within limit: Duration = .seconds(30)) async throws -> [String] {
        try await poll("addresses in default/\(name)'s status.loadBalancer.ingress", within: limit,
                       every: .milliseconds(20), abortIf: { try lbd.requireRunning() },
                       observe: { ingress(name) }, until: { !($0 ?? []).isEmpty }, describe: {
            ($0.map { "ingress \($0)" } ?? "no such Service") + "; events: \(events(of: name))"
        }) ?? []
    }

    /// The Events about Service `default/name`, `reason: message` (what `kubectl describe service` shows).
    func events(of name: String) -> [String] {
        api.serviceEvents(name: name).map { "\($0["reason"]?.stringValue ?? "?"): \($0["message"]?.stringValue ?? "")" }
    }
}
