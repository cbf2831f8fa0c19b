import Foundation
import LBKernel
import Testing

/// The harness tested without lbd: a router plays the speaker (static routes with communities, large communities,
/// MED and local preference) and each receiver's adapter must read exactly what was sent, over IPv4 and IPv6
/// transport, with and without TCP-MD5; every capture must decode cleanly.
@Suite(.serialized)
struct HarnessRouterTests {
    static let speakerASN: UInt32 = 64500
    static let routerASN: UInt32 = 64501

    /// Two routes per family: one with every attribute the acceptance tests check, one with none.
    ///
    /// BIRD sends MED to iBGP neighbours only (it strips it on eBGP export), so `med` is for iBGP tests.
    static func announcements(_ family: IPFamily, localPref: UInt32? = nil, med: UInt32? = nil)
        -> [StaticAnnouncement] {
        let prefixes = family == .ipv4 ? ["198.18.0.1/32", "198.18.7.0/24"] : ["2001:2::1/128", "2001:2:7::/48"]
        return [
            StaticAnnouncement(prefix: IPPrefix(prefixes[0])!,
                               communities: [.standard(64500, 100), .standard(0xFFFF, 0xFF01), .large(64500, 1, 2),
                                             .large(4_200_000_000, 7, 8)],
                               localPref: localPref, med: med),
            StaticAnnouncement(prefix: IPPrefix(prefixes[1])!, localPref: localPref),
        ]
    }

    /// What a receiver must show for `announcements` sent by the lab's speaker.
    static func expected(_ lab: NetworkLab, _ family: IPFamily, _ announcements: [StaticAnnouncement],
                         asPath: [UInt32], localPref: Bool) -> [RouterRoute] {
        announcements.map { announcement in
            RouterRoute(prefix: announcement.prefix, nextHop: lab.speaker.address(family), asPath: asPath,
                        origin: "IGP", med: announcement.med,
                        localPref: localPref ? (announcement.localPref ?? 100) : nil,
                        communities: announcement.communities.sorted(), peer: lab.speaker.address(family))
        }.sorted()
    }

    @Test("a receiver reads a BIRD speaker's eBGP routes with their attributes; the capture is clean",
          arguments: RouterKind.allCases, IPFamily.allCases)
    func receiverReadsEBGPRoutes(receiver: RouterKind, family: IPFamily) async throws {
        try await withLab { lab in
            let capture = try await PacketCapture.start(in: lab, on: lab.router)
            let router = try makeRouter(receiver, in: lab, on: lab.router, configuration: RouterConfiguration(
                asn: Self.routerASN, routerID: lab.router.routerID,
                neighbors: [.speaker(of: lab, over: family, asn: Self.speakerASN)]))
            try await router.start()
            let announcements = Self.announcements(family)
            let speaker = try BIRDRouter(lab: lab, node: lab.speaker, configuration: RouterConfiguration(
                asn: Self.speakerASN, routerID: lab.speaker.routerID,
                neighbors: [.router(of: lab, over: family, asn: Self.routerASN)], announcements: announcements))
            try await speaker.start()

            try await router.waitForSession(with: lab.speaker.address(family))
            let routes = try await router.waitForPrefixes(announcements.map(\.prefix), family)
            #expect(routes.ignoring([.linkLocalNextHop, .localPref])
                    == Self.expected(lab, family, announcements, asPath: [Self.speakerASN], localPref: false))
            if family == .ipv6, receiver != .gobgp {
                #expect(routes.allSatisfy { $0.linkLocalNextHop == .v6(lab.speaker.linkLocal) })
            }
            #expect(try await router.routes(family == .ipv4 ? .ipv6 : .ipv4).isEmpty)

            let problems = try await capture.problems()
            #expect(problems.isEmpty, "tshark: \(problems)")
            let updates = try await capture.messages().filter { $0.type == 2 && $0.source == lab.speaker.address(family) }
            #expect(!updates.isEmpty)
        }
    }
}
