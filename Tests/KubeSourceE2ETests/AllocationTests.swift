import KubeTestServer
import LabKit
import Testing

extension KubeSourceE2E {
    /// Services of type LoadBalancer get the addresses MetalLB would give them (metallb.md §b, §c), with the
    /// `metallb.io/ip-allocated-from-pool` annotation and an `IPAllocated` event; others get nothing.
    @Suite struct AllocationTests {
        /// Each Service is created after the previous one has its address, so "lowest free address" is exact.
        @Test func loadBalancerServicesGetTheExpectedAddresses() async throws {
            try await withCluster { cluster in
                // alpha: both families, auto-assigned (first by name); beta: only by annotation.
                try cluster.createPool("alpha", ["192.0.2.10-192.0.2.19", "2001:db8::10-2001:db8::19"])
                try cluster.createPool("beta", ["198.51.100.0/30"], autoAssign: false)
                try cluster.lbd("node-a")

                let cases: [(service: TestService, ingress: [String], pool: String)] = [
                    (TestService("single-v4"), ["192.0.2.10"], "alpha"),
                    (TestService("single-v6").with(\.families, .ipv6), ["2001:db8::10"], "alpha"),
                    (TestService("dual").with(\.families, .dual(policy: "RequireDualStack")),
                     ["192.0.2.11", "2001:db8::11"], "alpha"),
                    (TestService("requested-annotation").annotated("metallb.io/loadBalancerIPs", "192.0.2.15"),
                     ["192.0.2.15"], "alpha"),
                    (TestService("requested-spec").with(\.loadBalancerIP, "192.0.2.16"), ["192.0.2.16"], "alpha"),
                    (TestService("requested-dual").with(\.families, .dual(policy: "RequireDualStack"))
                        .annotated("metallb.io/loadBalancerIPs", "192.0.2.18, 2001:db8::18"),
                     ["192.0.2.18", "2001:db8::18"], "alpha"),
                    (TestService("pool-beta").annotated("metallb.io/address-pool", "beta"), ["198.51.100.0"], "beta"),
                    (TestService("shared-http").annotated("metallb.io/allow-shared-ip", "web"), ["192.0.2.12"],
                     "alpha"),
                    (TestService("shared-https").with(\.ports, [("TCP", 443)])
                        .annotated("metallb.io/allow-shared-ip", "web"), ["192.0.2.12"], "alpha"),
                    (TestService("unshared").with(\.ports, [("TCP", 443)]), ["192.0.2.13"], "alpha"),
                    // The same key, but port 80 is taken on .12: no sharing.
                    (TestService("shared-clash").annotated("metallb.io/allow-shared-ip", "web"), ["192.0.2.14"],
                     "alpha"),
                    (TestService("prefer-dual").with(\.families, .dual(policy: "PreferDualStack")),
                     ["192.0.2.17", "2001:db8::12"], "alpha"),
                ]
                for (service, expected, _) in cases {
                    try cluster.create(service)
                    try await cluster.waitForIngress(service.name, equal: expected)
                }
                for (service, expected, pool) in cases {
                    try await cluster.waitForAllocatedPool(service.name, pool)
                    try await cluster.waitForEvent(service.name, reason: "IPAllocated")
                    #expect(cluster.ingress(service.name) == expected, "service \(service.name) moved")
                }
            }
        }

        /// The deprecated `metallb.universe.tf/` prefix is honoured, with a Warning `deprecatedAnnotation`.
        @Test func deprecatedAnnotationsAreHonouredWithAWarning() async throws {
            try await withCluster { cluster in
                try cluster.createPool("alpha", ["192.0.2.10-192.0.2.19"])
                try cluster.createPool("beta", ["198.51.100.0/30"], autoAssign: false)
                try cluster.lbd("node-a")
                try cluster.create(TestService("old-ips").annotated("metallb.universe.tf/loadBalancerIPs",
                                                                    "192.0.2.17"))
                try cluster.create(TestService("old-pool").annotated("metallb.universe.tf/address-pool", "beta"))
                try await cluster.waitForIngress("old-ips", equal: ["192.0.2.17"])
                try await cluster.waitForIngress("old-pool", equal: ["198.51.100.0"])
                for name in ["old-ips", "old-pool"] {
                    let event = try await cluster.waitForEvent(name, reason: "deprecatedAnnotation")
                    #expect(event["type"]?.stringValue == "Warning", "the event about \(name): \(event.serialized)")
                }
            }
        }

        /// Pools pinned by `serviceAllocation` (namespaces, namespace selectors, service selectors, priority) are
        /// tried before the generic ones, only for the Services they match; `avoidBuggyIPs` skips .0 and .255.
        @Test func pinnedPoolsAndBuggyIPs() async throws {
            try await withCluster { cluster in
                try cluster.createNamespace("team-a")
                try cluster.createNamespace("team-b", labels: ["tier": "gold"])
                try cluster.createPool("general", ["192.0.2.0/24"], spec: ["avoidBuggyIPs": true])
                try cluster.createPool("for-team-a", ["198.51.100.10-198.51.100.11"],
                                       spec: ["serviceAllocation": ["priority": 1, "namespaces": ["team-a"]]])
                try cluster.createPool("for-gold", ["198.51.100.20-198.51.100.21"], spec: [
                    "serviceAllocation": ["priority": 2,
                                          "namespaceSelectors": [["matchLabels": ["tier": "gold"]]]]])
                try cluster.createPool("for-db", ["198.51.100.30-198.51.100.31"], spec: [
                    "serviceAllocation": ["serviceSelectors": [["matchLabels": ["app": "db"]]]]])
                try cluster.lbd("node-a")
                let cases: [(namespace: String, name: String, labels: [String: String], ingress: String, pool: String)] = [
                    ("default", "plain", [:], "192.0.2.1", "general"),
                    ("team-a", "api", [:], "198.51.100.10", "for-team-a"),
                    ("team-b", "api", [:], "198.51.100.20", "for-gold"),
                    ("default", "database", ["app": "db"], "198.51.100.30", "for-db"),
                ]
                for c in cases {
                    try cluster.create(TestService(c.name).with(\.namespace, c.namespace).with(\.labels, c.labels))
                    try await cluster.waitForIngress(c.name, equal: [c.ingress], namespace: c.namespace)
                    try await cluster.waitForAllocatedPool(c.name, c.pool, namespace: c.namespace)
                }
            }
        }

        /// Requests lbd cannot honour get a Warning and no address: spec.loadBalancerIP and the annotation together
        /// (LoadBalancerFailed), an address outside every pool or taken without a sharing key (AllocationFailed),
        /// RequireDualStack with one cluster IP (`not enough clusterips`).
        @Test func impossibleRequestsGetAWarningAndNoAddress() async throws {
            try await withCluster { cluster in
                try cluster.createPool("alpha", ["192.0.2.10-192.0.2.19"])
                let lbd = try cluster.lbd("node-a")
                try cluster.create(TestService("holder").with(\.loadBalancerIP, "192.0.2.12"))
                try await cluster.waitForIngress("holder", equal: ["192.0.2.12"])
                let cases: [(service: TestService, reason: String)] = [
                    (TestService("both-requests").with(\.loadBalancerIP, "192.0.2.15")
                        .annotated("metallb.io/loadBalancerIPs", "192.0.2.15"), "LoadBalancerFailed"),
                    (TestService("outside-pools").annotated("metallb.io/loadBalancerIPs", "203.0.113.7"),
                     "AllocationFailed"),
                    (TestService("taken").with(\.ports, [("TCP", 443)]).with(\.loadBalancerIP, "192.0.2.12"),
                     "AllocationFailed"),
                    (TestService("one-cluster-ip").with(\.ipFamilyPolicy, "RequireDualStack"), "not enough clusterips"),
                ]
                for (service, reason) in cases {
                    try cluster.create(service)
                    let event = try await cluster.waitForEvent(service.name, reason: reason)
                    #expect(event["type"]?.stringValue == "Warning", "\(service.name): \(event.serialized)")
                    #expect(cluster.ingress(service.name).isEmpty,
                            "\(service.name) got \(cluster.ingress(service.name))")
                }
                // A request that is invalid in itself is also in lbd's log, naming the Service.
                try await lbd.waitForLog("the rejection of both-requests") { $0.contains("Service default/both-requests: gets no address") }
                try cluster.create(TestService("fine"))
                try await cluster.waitForIngress("fine", equal: ["192.0.2.10"])
                #expect(cluster.ingress("holder") == ["192.0.2.12"], "holder moved")
            }
        }

        /// A ClusterIP Service and a LoadBalancer of another class get no address, no annotation and no events;
        /// a Service of lbd's created after them is the proof that lbd has seen them.
        @Test func servicesThatAreNotLBDsGetNothing() async throws {
            try await withCluster { cluster in
                try cluster.createPool("alpha", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a")
                try cluster.create(TestService("cluster-ip").with(\.type, "ClusterIP"))
                try cluster.create(TestService("other-class").with(\.loadBalancerClass, "example.com/other"))
                try cluster.create(TestService("ours"))
                try await cluster.waitForIngress("ours", equal: ["192.0.2.10"])
                try await cluster.waitForEvent("ours", reason: "IPAllocated")
                for name in ["cluster-ip", "other-class"] {
                    #expect(cluster.ingress(name).isEmpty, "\(name) got \(cluster.ingress(name))")
                    #expect(cluster.allocatedPool(name) == nil, "\(name) got ip-allocated-from-pool")
                    #expect(cluster.events(name).isEmpty, "\(name) got events: \(cluster.eventSummary(name))")
                }
            }
        }

        /// With `loadBalancerClass: example.com/lbd` lbd handles only that class (MetalLB's `--lb-class`).
        @Test func aConfiguredClassIsTheOnlyOneHandled() async throws {
            try await withCluster { cluster in
                try cluster.createPool("alpha", ["192.0.2.10-192.0.2.19"])
                try cluster.lbd("node-a", sourceExtra: "loadBalancerClass: example.com/lbd\n")
                try cluster.create(TestService("no-class"))
                try cluster.create(TestService("other-class").with(\.loadBalancerClass, "example.com/other"))
                try cluster.create(TestService("our-class").with(\.loadBalancerClass, "example.com/lbd"))
                try await cluster.waitForIngress("our-class", equal: ["192.0.2.10"])
                for name in ["no-class", "other-class"] {
                    #expect(cluster.ingress(name).isEmpty, "\(name) got \(cluster.ingress(name))")
                    #expect(cluster.events(name).isEmpty, "\(name) got events: \(cluster.eventSummary(name))")
                }
            }
        }
    }
}
