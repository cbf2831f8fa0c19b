import Foundation
import LBKernel
import NIOCore
import Testing
@testable import BGPPlugin

/// Real messages captured from BIRD 2, FRR and GoBGP (Fixtures/wire, made by capture.sh and extract.py; see the
/// README there): each decodes, re-encodes to a message that decodes the same, and the interesting ones have the
/// fields the routers were configured with.
@Suite struct WireFixtureTests {
    /// Every fixture file name.
    static let names: [String] = {
        let folder = Wire.fixtures("wire")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".hex") }.sorted()
    }()

    /// The options of the session a fixture came from: `old` is BIRD with `enable as4 off`.
    static func options(_ name: String) -> BGPCodecOptions {
        BGPCodecOptions(fourOctetAS: !name.contains("-old-"))
    }

    static func message(_ name: String) throws -> BGPMessage {
        let message = try Wire.decode(try Wire.fixture(name), options(name))
        return try #require(message, "\(name) holds less than a whole message")
    }

    static func update(_ name: String) throws -> UpdateMessage {
        guard case .update(let update) = try message(name) else { throw WireTestFailure.notAnUpdate }
        return update
    }

    static func open(_ name: String) throws -> OpenMessage {
        guard case .open(let open) = try message(name) else { throw WireTestFailure.notAnUpdate }
        return open
    }

    @Test func thereAreFixturesFromEachRouter() {
        for router in ["bird-", "frr-", "gobgp-"] {
            for kind in ["open", "update", "keepalive", "notification"] {
                #expect(WireFixtureTests.names.contains { $0.hasPrefix(router) && $0.hasSuffix("-\(kind).hex") },
                        "no \(kind) from \(router)")
            }
        }
    }

    /// Why lbd re-encodes a fixture to other bytes than the router sent (the decoded messages are equal), or nil
    /// when the bytes must be the same.
    static func reencodingDifference(_ name: String, _ kind: BGPMessage.Kind) -> String? {
        switch (name.split(separator: "-").first, kind) {
        case ("frr", .open): "FRR puts each capability in an optional parameter of its own; lbd puts all in one"
        case ("frr", .update): "FRR sets the Extended Length bit on AS_PATH, AS4_PATH and MP attributes of any length"
        case ("bird", .update): "BIRD sets the Extended Length bit on MP_REACH_NLRI of any length"
        case ("gobgp", .update): "GoBGP puts MP_REACH_NLRI after AS_PATH; lbd puts it first (RFC 7606 §5.1)"
        default: nil
        }
    }

    @Test(arguments: names)
    func decodesAndReencodes(_ name: String) throws {
        let bytes = try Wire.fixture(name)
        let options = WireFixtureTests.options(name)
        let message = try WireFixtureTests.message(name)
        let kind = String(name.split(separator: "-").last!.dropLast(4))
        #expect(kind == String(describing: message.kind).lowercased().replacingOccurrences(of: "-", with: ""))
        let encoded = Wire.encode(message, options)
        #expect(try Wire.decode(encoded, options) == message)
        // End-of-RIB markers (23 octets) have nothing to differ in.
        if WireFixtureTests.reencodingDifference(name, message.kind) == nil || encoded.count == 19 + 4 {
            #expect(Wire.hex(encoded) == Wire.hex(bytes))
        }
    }

    @Test func birdOpen() throws {
        let open = try WireFixtureTests.open("bird-s4-01-open.hex")
        #expect(open.myAS == 64501 && open.holdTime == 9 && open.bgpIdentifier == IPv4Address(10, 213, 0, 1))
        #expect(open.capabilities.prefix(5) == [
            .multiprotocol(.ipv4Unicast), .routeRefresh, .extendedMessage,
            .gracefulRestart(GracefulRestartCapability(restarting: false, restartTime: 120, families: [
                .init(family: .ipv4Unicast, forwardingPreserved: false)])),
            .fourOctetAS(64501),
        ])
        // Enhanced route refresh (70) and long-lived graceful restart (71) are kept as they came.
        #expect(open.capabilities.dropFirst(5).map(\.code) == [70, 71])
        // With `enable as4 off`, BIRD is a 2-octet speaker: no capability 65.
        let old = try WireFixtureTests.open("bird-old-01-open.hex")
        #expect(old.myAS == 64501 && !old.capabilities.contains { $0.code == 65 })
    }

    @Test func frrOpenHasOneParameterPerCapability() throws {
        let bytes = try Wire.fixture("frr-s4-01-open.hex")
        // Optional Parameters Length 0x53, then parameter 2 of 6 octets holding multiprotocol (1, 4 octets).
        #expect(Wire.hex(bytes[28..<36]) == "5302060104000100")
        let open = try WireFixtureTests.open("frr-s4-01-open.hex")
        #expect(open.myAS == 64502 && open.holdTime == 9 && open.bgpIdentifier == IPv4Address(10, 213, 0, 2))
        #expect(open.capabilities.contains(.gracefulRestart(GracefulRestartCapability(
            restarting: true, notification: true, restartTime: 120,
            families: [.init(family: .ipv4Unicast, forwardingPreserved: false)]))))
        #expect(open.capabilities.contains(.fourOctetAS(64502)) && open.capabilities.contains(.extendedMessage))
        // The hostname capability (73) carries "lbdt-capture-frr".
        guard case .unknown(73, let value) = open.capabilities.first(where: { $0.code == 73 }) else {
            Issue.record("no hostname capability")
            return
        }
        #expect(String(decoding: value.dropFirst().prefix(Int(value[0])), as: UTF8.self) == "lbdt-capture-frr")
    }

    @Test func gobgpOpen() throws {
        let open = try WireFixtureTests.open("gobgp-g4-01-open.hex")
        #expect(open.myAS == 64503 && open.holdTime == 90 && open.bgpIdentifier == IPv4Address(10, 213, 2, 1))
        #expect(open.capabilities.contains(.multiprotocol(.ipv4Unicast)) && open.capabilities.contains(.fourOctetAS(64503)))
        // Extended next hop (RFC 8950, code 5): IPv4 unicast over IPv6 next hops.
        #expect(open.capabilities.contains(.unknown(code: 5, value: [0, 1, 0, 1, 0, 2])))
    }

    @Test func birdIPv4Update() throws {
        let update = try WireFixtureTests.update("bird-s4-03-update.hex")
        #expect(update.nlri == [IPPrefix("198.51.100.0/24")!, IPPrefix("198.51.100.128/25")!])
        #expect(update.attributes.origin == .igp)
        #expect(update.attributes.asPath == [ASPathSegment(kind: .sequence, asns: [64501])])
        #expect(update.attributes.nextHop == IPv4Address(10, 213, 0, 1))
        #expect(update.attributes.multiExitDisc == 10)
        #expect(update.attributes.communities == [64501 << 16 | 100, PathAttributes.WellKnownCommunity.noExport.rawValue])
        #expect(update.attributes.largeCommunities == [LargeCommunity(64501, 1, 2)])
    }

    @Test func birdIPv6UpdateUsesTheExtendedLengthAndLinkLocalNextHop() throws {
        let bytes = try Wire.fixture("bird-s6-04-update.hex")
        #expect(bytes[23] == 0x90 && bytes[24] == 14)  // MP_REACH_NLRI first, with a 2-octet length
        let update = try WireFixtureTests.update("bird-s6-04-update.hex")
        let reach = try #require(update.attributes.mpReach)
        #expect(reach.family == .ipv6Unicast && reach.nlri == [IPPrefix("2001:db8:1::/48")!])
        #expect(reach.nextHops.count == 2 && reach.nextHops[0] == IPAddress("fd00:213::1")!)
        #expect(reach.nextHops[1].description.hasPrefix("fe80::"))
        #expect(update.nlri.isEmpty && update.attributes.nextHop == nil)
    }

    @Test func frrIPv6Update() throws {
        let update = try WireFixtureTests.update("frr-s6-04-update.hex")
        let reach = try #require(update.attributes.mpReach)
        #expect(reach.nlri == [IPPrefix("2001:db8:2::/48")!, IPPrefix("2001:db8:2:8000::/49")!])
        #expect(reach.nextHops.first == IPAddress("fd00:213::2")! && reach.nextHops.count == 2)
        #expect(update.attributes.asPath == [ASPathSegment(kind: .sequence, asns: [64502])])
        #expect(update.attributes.multiExitDisc == 20)
        #expect(update.attributes.communities
                == [64502 << 16 | 7, PathAttributes.WellKnownCommunity.gracefulShutdown.rawValue])
        #expect(update.attributes.largeCommunities == [LargeCommunity(64502, 3, 4)])
    }

    @Test func frrUpdateToATwoOctetSpeakerCarriesAS4Path() throws {
        let bytes = try Wire.fixture("frr-old-03-update.hex")
        // AS_PATH (flags 0x50: extended length) with 2-octet ASNs 64502, AS_TRANS; AS4_PATH (type 17, flags 0xd0)
        // with 64502, 4200000009, after LARGE_COMMUNITY.
        #expect(Wire.hex(bytes).contains("500200060202fbf65ba0"))
        #expect(Wire.hex(bytes).contains("d011000a02020000fbf6fa56ea09"))
        let update = try WireFixtureTests.update("frr-old-03-update.hex")
        #expect(update.attributes.asPath == [ASPathSegment(kind: .sequence, asns: [64502, 4_200_000_009])])
        #expect(update.nlri == [IPPrefix("203.0.113.0/24")!, IPPrefix("203.0.113.128/25")!])
    }

    @Test func gobgpUpdates() throws {
        let baseline = try WireFixtureTests.update("gobgp-baseline-ipv6-update.hex")
        #expect(baseline == UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [ASPathSegment(kind: .sequence, asns: [64500])],
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHops: [IPAddress("fd99::2")!],
                                 nlri: [IPPrefix("2001:2::2/128")!]))))
        let v4 = try WireFixtureTests.update("gobgp-g4-03-update.hex")
        #expect(v4.nlri == [IPPrefix("192.0.2.0/24")!] && v4.attributes.nextHop == IPv4Address(10, 213, 2, 1))
        #expect(v4.attributes.multiExitDisc == 30 && v4.attributes.communities == [64503 << 16 | 9])
        #expect(v4.attributes.largeCommunities == [LargeCommunity(64503, 5, 6)])
        let v6 = try WireFixtureTests.update("gobgp-g6-03-update.hex")
        #expect(v6.attributes.origin == .incomplete)
        #expect(v6.attributes.mpReach?.nextHops == [IPAddress("fd00:213:2::1")!])
        #expect(v6.attributes.mpReach?.nlri == [IPPrefix("2001:db8:3::/48")!])
    }

    @Test func withdrawalsAndEndOfRIB() throws {
        #expect(try WireFixtureTests.update("bird-s4-04-update.hex").endOfRIBFamily == .ipv4Unicast)
        #expect(try WireFixtureTests.update("bird-s6-05-update.hex").endOfRIBFamily == .ipv6Unicast)
        #expect(try WireFixtureTests.update("frr-s6-05-update.hex").endOfRIBFamily == .ipv6Unicast)
        #expect(try WireFixtureTests.update("bird-old-03-update.hex").endOfRIBFamily == .ipv4Unicast)
        let v4 = try WireFixtureTests.update("frr-s4-07-update.hex")
        #expect(v4.withdrawn == [IPPrefix("203.0.113.128/25")!, IPPrefix("192.0.2.0/24")!])
        #expect(v4.endOfRIBFamily == nil)
        let v6 = try WireFixtureTests.update("frr-s6-09-update.hex")
        #expect(v6.attributes.mpUnreach == MPUnreachNLRI(family: .ipv6Unicast, withdrawn: [
            IPPrefix("2001:db8:2:8000::/49")!, IPPrefix("2001:db8:3::/48")!]))
        #expect(try WireFixtureTests.update("gobgp-g4-04-update.hex").withdrawn == [IPPrefix("192.0.2.0/24")!])
    }

    @Test func notifications() throws {
        guard case .notification(let frr) = try WireFixtureTests.message("frr-s4-08-notification.hex"),
              case .notification(let bird) = try WireFixtureTests.message("bird-s6-07-notification.hex"),
              case .notification(let gobgp) = try WireFixtureTests.message("gobgp-g6-05-notification.hex"),
              case .notification(let collision) = try WireFixtureTests.message("frr-s6-02-notification.hex")
        else { throw WireTestFailure.notAnUpdate }
        #expect(frr.code == .cease && frr.subcode == NotificationMessage.CeaseSubcode.administrativeShutdown.rawValue)
        #expect(frr.shutdownCommunication == "lbd wire fixture")
        #expect(bird.shutdownCommunication == "bird wire fixture")
        #expect(gobgp.code == .cease && gobgp.subcode == NotificationMessage.CeaseSubcode.administrativeReset.rawValue)
        #expect(collision == NotificationMessage(
            code: .cease, subcode: NotificationMessage.CeaseSubcode.connectionCollisionResolution.rawValue))
        #expect(frr == .cease(.administrativeShutdown, communication: "lbd wire fixture"))
    }

    @Test func routeRefreshes() throws {
        #expect(try WireFixtureTests.message("bird-s6-06-routerefresh.hex")
                == .routeRefresh(RouteRefreshMessage(family: .ipv6Unicast)))
        #expect(try WireFixtureTests.message("bird-s4-05-routerefresh.hex")
                == .routeRefresh(RouteRefreshMessage(family: .ipv4Unicast, subtype: 1)))
        #expect(try WireFixtureTests.message("frr-s6-08-routerefresh.hex")
                == .routeRefresh(RouteRefreshMessage(family: .ipv6Unicast, subtype: 2)))
        #expect(try WireFixtureTests.message("frr-s4-06-routerefresh.hex")
                == .routeRefresh(RouteRefreshMessage(family: .ipv4Unicast)))
    }
}
