import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

@Suite struct MappingServiceTests {
    let mapper = ServiceMapper()

    func handled(_ name: String, endpoints: Endpoints = .onNodes([]), mapper: ServiceMapper? = nil) throws -> MappedService {
        let mapping = try (mapper ?? self.mapper).map(MappingFixtures.service(name), endpoints: endpoints)
        guard case .handled(let mapped) = mapping else {
            Issue.record("\(name): expected handled, got \(mapping)")
            throw CancellationError()
        }
        return mapped
    }

    @Test func basicServiceCarriesLabelsPortsAndRecordedAddresses() throws {
        let mapped = try handled("svc-basic", endpoints: .onNodes(["node-a"]))
        let service = mapped.service
        #expect(service.id == ServiceID(namespace: "default", name: "web"))
        #expect(service.labels == ["app": "web", "team": "blue"])
        #expect(service.ports == [ServicePort(.tcp, 80), ServicePort(.udp, 53), ServicePort(.tcp, 9090)])
        #expect(service.ipFamilies == [.ipv4])
        #expect(service.ipFamilyPolicy == .singleStack)
        #expect(service.trafficPolicy == .cluster)
        #expect(service.backendKey == "")
        #expect(service.requestedAddresses.isEmpty && service.requestedPool == nil && service.sharingKey == nil)
        #expect(service.endpoints == .onNodes(["node-a"]))
        // The hostname entry is ignored.
        #expect(mapped.recorded == [IPAddress("192.168.10.1")!])
        #expect(mapped.events.isEmpty)
    }

    @Test(arguments: [
        // fixture, filter, handled?
        ("svc-basic", LoadBalancerClassFilter.unset, true),
        ("svc-basic", .named("lbd.example.com/lb"), false),
        ("svc-class", .unset, false),
        ("svc-class", .named("lbd.example.com/lb"), true),
        ("svc-class", .named("other"), false),
    ])
    func loadBalancerClassFilter(fixture: String, filter: LoadBalancerClassFilter, handledExpected: Bool) throws {
        let mapping = try ServiceMapper(classFilter: filter).map(MappingFixtures.service(fixture), endpoints: .unknown)
        if handledExpected {
            guard case .handled = mapping else { Issue.record("expected handled: \(mapping)"); return }
        } else {
            #expect(mapping == .ignored(.otherClass))
        }
    }

    @Test(arguments: [
        ("svc-clusterip", ServiceMapping.IgnoredReason.notLoadBalancer),
        ("svc-no-clusterip", .noClusterIP),
    ])
    func ignored(fixture: String, reason: ServiceMapping.IgnoredReason) throws {
        #expect(try mapper.map(MappingFixtures.service(fixture), endpoints: .unknown) == .ignored(reason))
    }

    @Test(arguments: [
        ("svc-dualstack", [IPFamily.ipv6, .ipv4], IPFamilyPolicy.requireDualStack),
        ("svc-prefer-dual", [.ipv4, .ipv6], .preferDualStack),
        ("svc-prefer-dual-single-cluster", [.ipv4], .singleStack),
        ("svc-basic", [.ipv4], .singleStack),
    ])
    func familiesFollowClusterIPs(fixture: String, families: [IPFamily], policy: IPFamilyPolicy) throws {
        let service = try handled(fixture).service
        #expect(service.ipFamilies == families)
        #expect(service.ipFamilyPolicy == policy)
    }

    @Test func requireDualStackWithOneClusterIPIsRejected() throws {
        let mapping = try mapper.map(MappingFixtures.service("svc-require-dual-one-ip"), endpoints: .unknown)
        guard case .rejected(let rejected) = mapping else { Issue.record("\(mapping)"); return }
        #expect(rejected.events.map(\.reason) == ["not enough clusterips"])
        #expect(rejected.events.allSatisfy { $0.type == .warning })
    }

    @Test func recordedDualStackKeepsStatusOrder() throws {
        #expect(try handled("svc-dualstack").recorded == [IPAddress("192.168.10.2")!, IPAddress("fc00::2")!])
    }

    @Test func deprecatedAnnotationsAreHonouredWithWarnings() throws {
        let mapped = try handled("svc-deprecated")
        #expect(mapped.service.requestedPool == "pool-a")
        #expect(mapped.service.sharingKey == "key-1")
        #expect(mapped.service.requestedAddresses == [IPAddress("192.168.10.7")!])
        #expect(mapped.events.count == 3)
        #expect(mapped.events.allSatisfy { $0.type == .warning && $0.reason == "deprecatedAnnotation" })
        #expect(mapped.events.contains { $0.message.contains("metallb.universe.tf/address-pool") && $0.message.contains("metallb.io/address-pool") })
    }

    @Test func stablePrefixWinsWithoutWarning() throws {
        let mapped = try handled("svc-both-prefixes")
        #expect(mapped.service.requestedPool == "stable-pool")
        #expect(mapped.service.sharingKey == "stable-key")
        #expect(mapped.events.isEmpty)
    }

    @Test(arguments: [
        ("svc-lbip", ["192.168.10.5"]),
        ("svc-lbips", ["fc00::5", "192.168.10.5"]),
    ])
    func requestedAddresses(fixture: String, addresses: [String]) throws {
        #expect(try handled(fixture).service.requestedAddresses == addresses.map { IPAddress($0)! })
    }

    @Test(arguments: [
        ("svc-lbip-conflict", "both"),
        ("svc-lbip-invalid", "banana"),
    ])
    func invalidRequestsAreRejectedWithLoadBalancerFailed(fixture: String, mentions: String) throws {
        let mapping = try mapper.map(MappingFixtures.service(fixture), endpoints: .unknown)
        guard case .rejected(let rejected) = mapping else { Issue.record("\(mapping)"); return }
        #expect(rejected.events.count == 1)
        #expect(rejected.events[0].reason == "LoadBalancerFailed")
        #expect(rejected.events[0].type == .warning)
        #expect(rejected.events[0].message.contains(mentions))
    }

    @Test func aRequestedAddressOfAnotherFamilyIsRejected() throws {
        var object = try MappingFixtures.service("svc-lbip")
        object.spec.loadBalancerIP = "fc00::9"
        let mapping = try mapper.map(object, endpoints: .unknown)
        guard case .rejected(let rejected) = mapping else { Issue.record("\(mapping)"); return }
        #expect(rejected.events.map(\.reason) == ["nolbIPsIPFamily"])
        #expect(rejected.events.first?.message.contains("fc00::9") == true)
    }

    @Test func localTrafficPolicyUsesTheSelectorAsBackend() throws {
        let service = try handled("svc-local").service
        #expect(service.trafficPolicy == .local)
        #expect(service.backendKey == "app=web,tier=front")
    }

    @Test func portOutOfRangeIsAProblemNamingTheField() throws {
        #expect(throws: KubeObjectProblem(kind: "Service", namespace: "default", name: "badport",
                                          field: "spec.ports[0].port", message: "70000 is not a port number (1-65535)")) {
            try mapper.map(MappingFixtures.service("svc-bad-port"), endpoints: .unknown)
        }
    }

    @Test func undecodableServiceNamesObjectAndField() throws {
        let data = try MappingFixtures.data("svc-bad-json")
        do {
            _ = try KubeObjectDecoder.decode(KubeService.self, from: data)
            Issue.record("decoded")
        } catch {
            #expect(error.kind == "Service")
            #expect(error.namespace == "default")
            #expect(error.name == "badjson")
            #expect(error.field == "spec.ports[0].port")
            #expect(error.description.hasPrefix("Service default/badjson: spec.ports[0].port: expected a number"))
        }
    }

    @Test func unnamedObjectStillReportsTheField() {
        let data = Data(#"{"metadata":{"namespace":"x"},"spec":{}}"#.utf8)
        #expect(throws: KubeObjectProblem(kind: "Service", namespace: "x", name: nil, field: "metadata.name",
                                          message: "required field is missing")) {
            try KubeObjectDecoder.decode(KubeService.self, from: data)
        }
    }
}
