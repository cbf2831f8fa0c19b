import Foundation
import KubeTestServer
import LabKit
import LBKernel
import Testing

/// lbd with the `kubernetes` source and the BGP plugin, driven by the API test server (issue 5): a Service created
/// through the API is received by BIRD as host routes with the BGPAdvertisement's attributes, and withdrawn once the
/// Service is deleted.
@Suite(.serialized)
struct KubeBGPRouterTests {
    @Test("a LoadBalancer Service created with kubectl gets the pool's addresses and BIRD receives their host routes over the BGPPeers' sessions; deleted, withdrawn",
          arguments: [[IPFamily.ipv4], [.ipv4, .ipv6]])
    func serviceReceivedByBIRD(families: [IPFamily]) async throws {
        try await withLab { lab in
            try await KubeBGPSpeaker.with(lab, families: families) { speaker in
                let router = try makeRouter(.bird, in: lab, on: lab.router, configuration: RouterConfiguration(
                    asn: LBDScenario.routerASN, routerID: lab.router.routerID,
                    neighbors: families.map { .speaker(of: lab, over: $0, asn: LBDScenario.lbdASN) }))
                try await router.start()
                try speaker.lbd.start()
                // The sessions come from the BGPPeer objects alone; nothing is announced before there is a Service.
                for family in families {
                    try await router.waitForSession(with: lab.speaker.address(family))
                    #expect(try await router.routes(family).isEmpty)
                }

                try await speaker.kubectl.create("web", speaker.service("web"))
                let ingress = try await speaker.waitForIngress("web")
                #expect(ingress == families.map { "\(speaker.poolAddress($0))" }, "status.loadBalancer.ingress")
                for family in families {
                    let address = speaker.poolAddress(family)
                    let prefix = IPPrefix(address: address, length: family.bitWidth)!
                    let routes = try await router.waitForPrefixes([prefix], family)
                    let expected = RouterRoute(
                        prefix: prefix, nextHop: lab.speaker.address(family),
                        linkLocalNextHop: family == .ipv6 ? .v6(lab.speaker.linkLocal) : nil,
                        asPath: [LBDScenario.lbdASN], origin: "IGP", communities: [KubeBGPSpeaker.community],
                        peer: lab.speaker.address(family))
                    #expect(routes.ignoring([.localPref]) == [expected], "BIRD's \(family) routes: \(routes)")
                }

                try await speaker.kubectl.run(["delete", "service", "web", "--namespace", "default"])
                #expect(speaker.ingress("web") == nil, "the Service is gone from the API")
                for family in families {
                    try await router.waitForPrefixes([], family)
                    try await router.waitForSession(with: lab.speaker.address(family))
                }
                try speaker.lbd.requireRunning()
            }
        }
    }
}
