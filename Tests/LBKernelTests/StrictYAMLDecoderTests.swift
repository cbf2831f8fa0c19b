import Testing
@testable import LBKernel

/// Strict decoding: unknown keys, wrong shapes and bad values name file, line and key.
struct StrictYAMLDecoderTests {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws(ConfigError) -> T {
        let documents: [YAMLNode]
        do { documents = try YAMLNode.documents(in: text, file: "test.yaml") } catch { throw ConfigError([error]) }
        return try StrictYAMLDecoder().decode(type, from: documents[0])
    }

    static func problem<T: Decodable>(_ type: T.Type, _ text: String) -> ConfigProblem? {
        do {
            _ = try decode(type, text)
            return nil
        } catch {
            return error.problems.first
        }
    }

    @Test func decodesAPolicy() throws {
        let policy = try Self.decode(Policy.self, """
            pools:
              - name: default
                addresses: [10.0.0.0/24, "10.0.1.1 - 10.0.1.9"]
                avoidBuggyIPs: true
            bgpPeers:
              - name: tor
                myASN: 64500
                peerASN: 64501
                peerAddress: 10.0.0.254
                holdTime: 1m30s
            """)
        #expect(policy.pools.first?.addresses.map(\.description) == ["10.0.0.0/24", "10.0.1.1-10.0.1.9"])
        #expect(policy.pools.first?.avoidBuggyIPs == true)
        #expect(policy.bgpPeers.first?.holdTime == GoDuration(seconds: 90))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var code: ConfigProblem.Code
        var line: Int
        var field: String?
        var fragment: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown key lists the allowed ones", yaml: "pools:\n  - name: a\n    adresses: [10.0.0.0/24]\n",
             code: .unknownKey, line: 3, field: "pools[0].adresses", fragment: "allowed here: name, addresses"),
        Case(name: "missing required key", yaml: "pools:\n  - name: a\n", code: .missingKey, line: 2,
             field: "pools[0].addresses", fragment: "required key 'addresses'"),
        Case(name: "list where a mapping belongs", yaml: "pools:\n  - [a, b]\n", code: .wrongType, line: 2,
             field: "pools[0]", fragment: "expected a mapping, found a list"),
        Case(name: "mapping where a list belongs", yaml: "pools:\n  name: a\n", code: .wrongType, line: 2,
             field: "pools", fragment: "expected a list, found a mapping"),
        Case(name: "bad address entry", yaml: "pools:\n  - name: a\n    addresses: [10.0.0.0/33]\n",
             code: .invalidValue, line: 3, field: "pools[0].addresses[0]", fragment: "prefix length"),
        Case(name: "text where a number belongs", yaml: "bgpPeers:\n  - name: p\n    myASN: many\n",
             code: .wrongType, line: 3, field: "bgpPeers[0].myASN", fragment: "expected a whole number"),
        Case(name: "number out of range", yaml: "bgpPeers:\n  - name: p\n    myASN: 4294967296\n",
             code: .invalidValue, line: 3, field: "bgpPeers[0].myASN", fragment: "out of range"),
        Case(name: "quoted bool is not a bool", yaml: "pools:\n  - name: a\n    addresses: []\n    autoAssign: \"yes\"\n",
             code: .wrongType, line: 4, field: "pools[0].autoAssign", fragment: "true or false"),
        Case(name: "bad duration", yaml: "bgpPeers:\n  - name: p\n    myASN: 1\n    holdTime: soon\n",
             code: .invalidValue, line: 4, field: "bgpPeers[0].holdTime", fragment: "not a duration"),
        Case(name: "syntax error has a line", yaml: "pools:\n  - name: a\n   bad: [\n", code: .syntax, line: 3,
             field: nil, fragment: "invalid YAML"),
        Case(name: "duplicate key", yaml: "pools: []\npools: []\n", code: .duplicate, line: 2, field: nil,
             fragment: "appears twice"),
        Case(name: "required key with no value", yaml: "pools:\n  - name:\n    addresses: []\n", code: .missingKey,
             line: 2, field: "pools[0].name", fragment: "has no value"),
    ]

    @Test(arguments: cases)
    func rejects(_ c: Case) {
        let problem = Self.problem(Policy.self, c.yaml)
        #expect(problem?.code == c.code, "\(String(describing: problem))")
        #expect(problem?.location?.line == c.line, "\(String(describing: problem))")
        #expect(problem?.location?.file == "test.yaml")
        if let field = c.field { #expect(problem?.field == field, "\(String(describing: problem))") }
        #expect(problem?.description.contains(c.fragment) == true, "\(String(describing: problem))")
    }

    @Test func everyUnknownKeyOfAMappingIsReported() {
        do {
            _ = try Self.decode(Policy.self, "pool: []\nnodes: []\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.map(\.field) == ["pool", "nodes"])
            #expect(error.problems.allSatisfy { $0.code == .unknownKey })
        }
    }

    @Test func multiDocumentFilesKeepTheirLines() throws {
        let documents = try YAMLNode.documents(in: "a: 1\n---\n\n---\nb: 2\n", file: "m.yaml")
        #expect(documents.count == 2)
        #expect(documents[1].location.line == 5)
    }

    @Test func problemsRenderAsOneLine() {
        let problem = ConfigProblem(.overlap, "overlaps pool \"b\"", object: "pool \"a\"", field: "addresses[0]",
                                    location: SourceLocation(file: "p.yaml", line: 4, column: 7))
        #expect(problem.description == "p.yaml:4:7: pool \"a\": addresses[0]: overlaps pool \"b\"")
    }
}
