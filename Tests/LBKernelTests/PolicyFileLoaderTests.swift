import Foundation
import Testing
@testable import LBKernel

/// The problems `PolicyFileLoader` reports for `paths`, or none.
private func loadProblems(_ paths: [String], validatesPolicy: Bool = true) -> [ConfigProblem] {
    do {
        _ = try PolicyFileLoader(validatesPolicy: validatesPolicy).load(paths: paths)
        return []
    } catch {
        return error.problems
    }
}

@Suite("Policy file loader")
struct PolicyFileLoaderTests {
    @Test func loadsLBDsSchema() throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.copyFixture("services.yaml")
        let loaded = try PolicyFileLoader().load(paths: [path])

        #expect(loaded.policy.pools.map(\.name) == ["default", "reserved"])
        #expect(loaded.policy.pools[1].autoAssign == false)
        #expect(loaded.policy.layer2Advertisements.map(\.name) == ["all"])
        #expect(loaded.nodes == [Node(name: "host-a", labels: ["rack": "r1"]), Node(name: "host-b")])

        let web = loaded.services[0]
        #expect(web.id == ServiceID(namespace: "default", name: "web"))
        #expect(web.ports == [ServicePort(.tcp, 80), ServicePort(.tcp, 443)])
        #expect(web.labels == ["app": "web"])
        #expect(web.ipFamilyPolicy == .singleStack && web.ipFamilies == [.ipv4])
        #expect(web.trafficPolicy == .cluster && web.endpoints == .unknown && web.requestedPool == nil)

        let dns = loaded.services[1]
        #expect(dns.id == ServiceID(namespace: "infra", name: "dns"))
        #expect(dns.requestedAddresses == [IPAddress("198.51.100.10")!])
        #expect(dns.requestedPool == "reserved" && dns.sharingKey == "dns")
        #expect(dns.ports == [ServicePort(.udp, 53), ServicePort(.tcp, 53)])
        #expect(dns.trafficPolicy == .local && dns.backendKey == "dns-pods")
        #expect(dns.endpoints == .onNodes(["host-a"]))

        let dual = loaded.services[2]
        #expect(dual.ipFamilyPolicy == .requireDualStack && dual.ipFamilies == [.ipv6, .ipv4])
    }

    @Test func mergesDocumentsAndFilesInOrder() throws {
        let directory = try FileSourceTestDirectory()
        let first = try directory.copyFixture("multi-document.yaml")
        let second = try directory.write("more.yaml", """
            layer2Advertisements:
              - name: all
            services:
              - name: web
                namespace: shop
            nodes:
              - name: host-c
            """)
        let loaded = try PolicyFileLoader().load(paths: [first, second])
        #expect(loaded.services.map(\.id.description) == ["default/api", "shop/web"])
        #expect(loaded.policy.pools.map(\.name) == ["default"])
        #expect(loaded.policy.layer2Advertisements.map(\.name) == ["all"])
        #expect(loaded.nodes.map(\.name) == ["host-c"])
    }

    @Test func readsMetalLBResourcesNextToLBDsDocuments() throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.copyFixture("metallb-mixed.yaml")
        let loaded = try PolicyFileLoader().load(paths: [path])
        #expect(loaded.policy.pools.map(\.name) == ["production"])
        #expect(loaded.policy.layer2Advertisements.map(\.name) == ["production"])
        #expect(loaded.services.map(\.id.name) == ["shop"])
    }

    @Test func unknownKeysNameFileLineAndAllowedKeys() throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.copyFixture("unknown-key.yaml")
        let problems = loadProblems([path])
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.code == .unknownKey)
        #expect(problem.location == SourceLocation(file: path, line: 10, column: 1))
        #expect(problem.field == "servcies")
        #expect(problem.message.contains("allowed here: pools, layer2Advertisements"))
        #expect(problem.message.contains("services, nodes"))
        #expect(problem.description.hasPrefix("\(path):10:1: servcies: unknown key 'servcies'"))
    }

    @Test func unknownKeysInsideAServiceAreFound() throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("services.yaml", """
            services:
              - name: web
                port: [TCP/80]
            """)
        let problem = try #require(loadProblems([path]).first)
        #expect(problem.code == .unknownKey)
        #expect(problem.location?.line == 3)
        #expect(problem.field == "services[0].port")
        #expect(problem.message.contains("allowed here: name, namespace, addresses, pool, sharingKey, ports"))
    }

    @Test func everyDocumentOfEveryFileIsChecked() throws {
        let directory = try FileSourceTestDirectory()
        let invalid = try directory.copyFixture("invalid-values.yaml")
        let unsupported = try directory.copyFixture("unsupported-kind.yaml")
        let missing = directory.file("missing.yaml")
        let problems = loadProblems([invalid, missing, unsupported])
        let summary = problems.map { "\($0.location?.file.split(separator: "/").last ?? ""):\($0.location?.line ?? 0) \($0.code) \($0.field ?? "-")" }
        #expect(summary == [
            "missing.yaml:0 io -",
            "invalid-values.yaml:7 invalidValue services[0].addresses[0]",
            "invalid-values.yaml:11 duplicate services[0].ports",
            "invalid-values.yaml:12 duplicate services[1].name",
            "invalid-values.yaml:13 invalidValue services[2].name",
            "unsupported-kind.yaml:1 unsupportedDocument -",
        ], "\(problems.map(\.description).joined(separator: "\n"))")
        #expect(problems[0].message.contains("No such file or directory"))
        #expect(problems[1].message.contains("192.0.2.300"))
        #expect(problems[3].message.contains("defined twice (first at \(invalid):10:5)"))
    }

    @Test func theMergedPolicyIsValidated() throws {
        let directory = try FileSourceTestDirectory()
        let first = try directory.copyFixture("multi-document.yaml")
        let second = try directory.write("overlap.yaml", """
            pools:
              - name: other
                addresses: [192.0.2.8/29]
            """)
        let problems = loadProblems([first, second])
        #expect(!problems.isEmpty)
        #expect(problems.contains { $0.code == .overlap })
        #expect(loadProblems([first, second], validatesPolicy: false).isEmpty)
    }

    @Test func syntaxErrorsNameTheLine() throws {
        let directory = try FileSourceTestDirectory()
        let path = try directory.write("broken.yaml", "services:\n  - name: web\n    ports: [TCP/80\n")
        let problem = try #require(loadProblems([path]).first)
        #expect(problem.code == .syntax)
        #expect(problem.location?.file == path)
        #expect(problem.location?.line != nil)
    }

    @Test(arguments: [
        ("services: [{name: a, addresses: [192.0.2.1, 192.0.2.2]}]", "two IPv4 addresses requested"),
        ("services: [{name: a, ipFamilies: [IPv4, IPv4]}]", "each at most once"),
        ("services: [{name: a, ipFamilyPolicy: SingleStack, ipFamilies: [IPv4, IPv6]}]", "SingleStack cannot"),
        ("services: [{name: a, ipFamilies: [IPv6], addresses: [192.0.2.1]}]", "ipFamilies does not list IPv4"),
        ("services: [{name: a, endpointNodes: [x, x]}]", "node 'x' is listed twice"),
        ("services: [{name: ''}]", "must not be empty"),
        ("services: [{name: a, ports: [TCP/99999]}]", "is not a port"),
        ("services: [{name: a, trafficPolicy: Nowhere}]", "Nowhere"),
        ("nodes: [{name: a}, {name: a}]", "node \"a\" is defined twice"),
        ("[1, 2]", "expected a mapping"),
    ])
    func serviceAndNodeRules(text: String, message: String) throws {
        let problems: [ConfigProblem]
        do {
            _ = try PolicyFileLoader().load(text: text, file: "inline.yaml")
            problems = []
        } catch {
            problems = error.problems
        }
        #expect(problems.contains { $0.message.contains(message) && $0.location?.file == "inline.yaml" },
                "\(problems)")
    }

    @Test func entriesBecomeServicesWithDefaults() {
        let dualByAddress = ServiceEntry(name: "a", addresses: [IPAddress("2001:db8::1")!, IPAddress("192.0.2.1")!])
        #expect(dualByAddress.service.ipFamilies == [.ipv6, .ipv4])
        #expect(dualByAddress.service.ipFamilyPolicy == .requireDualStack)
        let prefer = ServiceEntry(name: "b", ipFamilyPolicy: .preferDualStack)
        #expect(prefer.service.ipFamilies == [.ipv4] && prefer.service.wantedFamilies == [.ipv4, .ipv6])
        #expect(ServiceEntry(name: "c", endpointNodes: []).service.endpoints == .onNodes([]))
    }

    @Test func theDocumentKeysIncludeEveryPolicyKey() {
        let documentKeys = Set(LBDDocument.CodingKeys.allCaseNames)
        #expect(Set(Policy.CodingKeys.allCaseNames).isSubset(of: documentKeys))
        #expect(documentKeys.subtracting(Policy.CodingKeys.allCaseNames) == ["services", "nodes"])
    }
}
