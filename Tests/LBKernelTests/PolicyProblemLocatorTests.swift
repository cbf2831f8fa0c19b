import Testing
@testable import LBKernel

/// Validation problems in lbd's own files name the file and line of the object and field.
struct PolicyProblemLocatorTests {
    @Test func validationProblemsPointAtTheirLines() throws {
        let text = """
            pools:
              - name: a
                addresses: [10.0.0.0/24]
              - name: b
                addresses:
                  - 10.1.0.0/24
                  - 10.0.0.128/25
            bgpAdvertisements:
              - name: ad
                aggregationLength: 20
                peers: [nope]

            """
        #expect {
            _ = try PolicyFileLoader().load(text: text, file: "s.yaml")
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            let lines = problems.map { "\($0.location?.file ?? "?"):\($0.location?.line ?? 0) \($0.field ?? "")" }
            return lines.contains("s.yaml:7 addresses[1]") && lines.contains("s.yaml:10 aggregationLength")
                && lines.contains("s.yaml:11 peers[0]")
        }
    }

    @Test(arguments: [("pool \"b\"", "pools", "b"), ("bgpPeer \"x y\"", "bgpPeers", "x y"), ("community \"c\"", "communities", "c")])
    func parsesObjects(_ object: String, _ section: String, _ name: String) {
        let parsed = PolicyProblemLocator.parse(object: object)
        #expect(parsed?.section == section && parsed?.name == name)
    }

    @Test func unknownObjectsStayUnlocated() {
        #expect(PolicyProblemLocator.parse(object: "pool #3") == nil)
        #expect(PolicyProblemLocator.parse(object: "service \"a\"") == nil)
    }
}
