import Foundation
import KubeTestServer
import LabKit
import LBKernel
import Testing

/// lbd with the `kubernetes` source and the BGP plugin, driven by the API test server (issue 5): a Service created
/// through the API is received by BIRD as a host route with the BGPAdvertisement's attributes, and withdrawn once the
/// Service is deleted.
@Suite(.serialized)
struct KubeBGPRouterTests {
    @Test("a LoadBalancer Service created with kubectl gets the pool's address and BIRD receives its /32 from the BGPPeer's session; deleted, withdrawn")
    func serviceReceivedByBIRD() async throws {
        try await withLab { lab in
            try await KubeBGPSpeaker.with(lab) { speaker in
                let router = try makeRouter(.bird, in: lab, on: lab.router, configuration: RouterConfiguration(
                    asn: LBDScenario.routerASN, routerID: lab.router.routerID,
                    neighbors: [.speaker(of: lab, over: .ipv4, asn: LBDScenario.lbdASN)]))
                try await router.start()
                try speaker.lbd.start()
                // The session comes from the BGPPeer object alone; nothing is announced before there is a Service.
                try await router.waitForSession(with: lab.speaker.address(.ipv4))
                #expect(try await router.routes(.ipv4).isEmpty)

                try await speaker.kubectl.create("web", KubeBGPSpeaker.service("web"))
                let ingress = try await speaker.waitForIngress("web")
                #expect(ingress == ["\(speaker.poolAddress)"], "status.loadBalancer.ingress: \(ingress)")
                let prefix = IPPrefix(address: .v4(speaker.poolAddress), length: 32)!
                let routes = try await router.waitForPrefixes([prefix], .ipv4)
                let expected = RouterRoute(prefix: prefix, nextHop: lab.speaker.address(.ipv4),
                                           asPath: [LBDScenario.lbdASN], origin: "IGP",
                                           communities: [KubeBGPSpeaker.community], peer: lab.speaker.address(.ipv4))
                #expect(routes.ignoring([.localPref]) == [expected], "BIRD's routes: \(routes)")

                try await speaker.kubectl.run(["delete", "service", "web", "--namespace", "default"])
                #expect(speaker.ingress("web") == nil, "the Service is gone from the API")
                try await router.waitForPrefixes([], .ipv4)
                try await router.waitForSession(with: lab.speaker.address(.ipv4))
                try speaker.lbd.requireRunning()
            }
        }
    }
}
