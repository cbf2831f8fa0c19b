import Foundation
import Testing
@testable import LBKernel

/// One MetalLB configuration and what the importer must make of it.
struct MetalLBCase: Sendable, CustomTestStringConvertible {
    /// What the importer must do.
    enum Outcome: Sendable {
        /// Loads; the policy's non-zero object counts, e.g. `pools 1, l2 1`.
        case accepted(String)
        /// Rejected with a problem of this code whose message contains the fragment (and on this line, if given).
        case rejected(ConfigProblem.Code, String, line: Int? = nil)
    }

    var name: String
    var yaml: String
    var outcome: Outcome
    var testDescription: String { name }

    init(_ name: String, _ yaml: String, _ outcome: Outcome) {
        self.name = name
        self.yaml = yaml
        self.outcome = outcome
    }

    /// The documents, parsed as file `case.yaml`.
    func documents() throws -> [YAMLNode] { try YAMLNode.documents(in: yaml, file: "case.yaml") }
}

/// Legacy config text wrapped in a ConfigMap; line 1 of the text is line 8 of the file.
func legacyConfigMap(_ config: String) -> String {
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: metallb-system\ndata:\n  config: |\n"
        + config.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
}

/// A `metallb.io` resource; line 1 of `spec` is line 7 of the document.
func resource(_ kind: String, _ name: String, _ spec: String, apiVersion: String = "metallb.io/v1beta1") -> String {
    "apiVersion: \(apiVersion)\nkind: \(kind)\nmetadata:\n  name: \(name)\n  namespace: metallb-system\nspec:\n"
        + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        + "\n"
}

/// Documents joined with `---`.
func documents(_ parts: String...) -> String { parts.joined(separator: "---\n") }

/// `pools 1, l2 1, …`: the policy's non-zero object counts.
func summary(_ policy: Policy) -> String {
    let counts: [(String, Int)] = [
        ("pools", policy.pools.count), ("l2", policy.layer2Advertisements.count),
        ("bgp", policy.bgpAdvertisements.count), ("peers", policy.bgpPeers.count),
        ("communities", policy.communities.count), ("bfd", policy.bfdProfiles.count),
    ]
    return counts.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
}

let l2Pool = "address-pools:\n- name: lan\n  protocol: layer2\n  addresses:\n  - 10.0.0.0/24"
let bgpPool = "address-pools:\n- name: pub\n  protocol: bgp\n  addresses:\n  - 10.1.0.0/24"
let onePeer = "peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64501\n  my-asn: 64500"
let crdPool = resource("IPAddressPool", "p", "addresses:\n- 10.0.0.0/24")
let crdPeer = "myASN: 64500\npeerASN: 64501\npeerAddress: 10.0.0.1"

let metalLBCases: [MetalLBCase] = [
    // Legacy, accepted.
    .init("legacy: layer2 pool as bare text", l2Pool, .accepted("pools 1, l2 1")),
    .init("legacy: layer2 pool in a ConfigMap", legacyConfigMap(l2Pool), .accepted("pools 1, l2 1")),
    .init("legacy: bgp pool gets a default advertisement", bgpPool + "\n" + onePeer, .accepted("pools 1, bgp 1, peers 1")),
    .init("legacy: bgp pool with two advertisements",
          bgpPool + "\n  bgp-advertisements:\n  - aggregation-length: 32\n    localpref: 100\n  - aggregation-length: 24",
          .accepted("pools 1, bgp 2")),
    .init("legacy: peer with every option",
          "peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64501\n  my-asn: 64500\n  source-address: 10.0.0.5\n"
          + "  peer-port: 1179\n  hold-time: 90s\n  keepalive-time: 30s\n  router-id: 10.0.0.5\n  password: secret\n"
          + "  ebgp-multihop: true", .accepted("peers 1")),
    .init("legacy: peer node-selectors",
          onePeer + "\n  node-selectors:\n  - match-labels:\n      rack: a\n    match-expressions:\n"
          + "    - key: kubernetes.io/hostname\n      operator: In\n      values: [n1, n2]", .accepted("peers 1")),
    .init("legacy: community alias used by an advertisement",
          "bgp-communities:\n  no-export: 65535:65281\n" + bgpPool
          + "\n  bgp-advertisements:\n  - communities: [no-export, 64500:1, large:1:2:3]",
          .accepted("pools 1, bgp 1, communities 1")),
    .init("legacy: BFD profile used by a peer",
          onePeer + "\n  bfd-profile: fast\nbfd-profiles:\n- name: fast\n  receive-interval: 100\n"
          + "  transmit-interval: 100\n  detect-multiplier: 5\n  echo-mode: true", .accepted("peers 1, bfd 1")),
    .init("legacy: auto-assign and avoid-buggy-ips", l2Pool + "\n  auto-assign: false\n  avoid-buggy-ips: true",
          .accepted("pools 1, l2 1")),
    .init("legacy: IPv6 bgp pool", "address-pools:\n- name: v6\n  protocol: bgp\n  addresses:\n  - 2001:db8::/120\n"
          + "  bgp-advertisements:\n  - aggregation-length-v6: 120", .accepted("pools 1, bgp 1")),
    .init("legacy: hold-time 0 disables keepalives", onePeer + "\n  hold-time: 0s", .accepted("peers 1")),
    .init("legacy: hold-time 3s is the minimum", onePeer + "\n  hold-time: 3s", .accepted("peers 1")),
    .init("legacy: ConfigMap with only comments", legacyConfigMap("# nothing yet"), .accepted("")),
    .init("legacy: range with spaces", "address-pools:\n- name: r\n  protocol: layer2\n  addresses:\n"
          + "  - 10.0.0.10 - 10.0.0.20", .accepted("pools 1, l2 1")),

    // Legacy, rejected.
    .init("legacy: protocol missing", "address-pools:\n- name: a\n  addresses:\n  - 10.0.0.0/24",
          .rejected(.missingKey, "has no protocol", line: 2)),
    .init("legacy: protocol arp", legacyConfigMap(l2Pool.replacingOccurrences(of: "layer2", with: "arp")),
          .rejected(.invalidValue, "'arp' is the old name of layer2", line: 10)),
    .init("legacy: protocol misspelled", l2Pool.replacingOccurrences(of: "layer2", with: "Layer2"),
          .rejected(.invalidValue, "unknown protocol 'Layer2'")),
    .init("legacy: bgp-advertisements in a layer2 pool",
          l2Pool + "\n  bgp-advertisements:\n  - aggregation-length: 32",
          .rejected(.conflict, "only allowed in a pool with protocol bgp")),
    .init("legacy: misspelled pool key", l2Pool + "\n  avoid-buggy-ip: true",
          .rejected(.unknownKey, "did you mean 'avoid-buggy-ips'?", line: 6)),
    .init("legacy: CRD spelling in legacy text", "peers:\n- peerAddress: 10.0.0.1\n  peer-asn: 1\n  my-asn: 2",
          .rejected(.unknownKey, "did you mean 'peer-address'?")),
    .init("legacy: hold-time 2s", onePeer + "\n  hold-time: 2s", .rejected(.invalidValue, "invalid hold time 2s")),
    .init("legacy: hold-time not a duration", onePeer + "\n  hold-time: soon",
          .rejected(.invalidValue, "'soon' is not a duration", line: 5)),
    .init("legacy: keepalive longer than hold", onePeer + "\n  hold-time: 9s\n  keepalive-time: 10s",
          .rejected(.conflict, "longer than holdTime")),
    .init("legacy: prefix length 33", legacyConfigMap(l2Pool.replacingOccurrences(of: "/24", with: "/33")),
          .rejected(.invalidValue, "invalid address entry '10.0.0.0/33'", line: 12)),
    .init("legacy: reversed range", "address-pools:\n- name: r\n  protocol: layer2\n  addresses:\n"
          + "  - 10.0.0.20-10.0.0.10", .rejected(.invalidValue, "after range end", line: 5)),
    .init("legacy: overlapping pools", l2Pool + "\n- name: lan2\n  protocol: layer2\n  addresses:\n  - 10.0.0.128/25",
          .rejected(.overlap, "10.0.0.128/25")),
    .init("legacy: duplicate pool names", l2Pool + "\n- name: lan\n  protocol: layer2\n  addresses:\n  - 10.9.0.0/24",
          .rejected(.duplicate, "reuses the name \"lan\"")),
    .init("legacy: bad peer address", "peers:\n- peer-address: 10.0.0.300\n  peer-asn: 1\n  my-asn: 2",
          .rejected(.invalidValue, "'10.0.0.300' is not an IPv4 or IPv6 address", line: 2)),
    .init("legacy: my-asn missing", "peers:\n- peer-address: 10.0.0.1\n  peer-asn: 1",
          .rejected(.missingKey, "required key 'my-asn' is missing")),
    .init("legacy: IPv6 router-id", onePeer + "\n  router-id: 2001:db8::1",
          .rejected(.invalidValue, "router ID is 32 bits", line: 5)),
    .init("legacy: bad community value", "bgp-communities:\n  bad: 70000:1",
          .rejected(.invalidValue, "invalid community '70000:1'", line: 2)),
    .init("legacy: unknown community alias", bgpPool + "\n  bgp-advertisements:\n  - communities: [nope]",
          .rejected(.unknownReference, "'nope' is not a community alias")),
    .init("legacy: aggregation-length 33", bgpPool + "\n  bgp-advertisements:\n  - aggregation-length: 33",
          .rejected(.invalidValue, "33 is not an IPv4 prefix length", line: 7)),
    .init("legacy: aggregation shorter than the pool's prefix",
          "address-pools:\n- name: small\n  protocol: bgp\n  addresses:\n  - 10.0.0.0/28\n  bgp-advertisements:\n"
          + "  - aggregation-length: 26", .rejected(.invalidValue, "26 is shorter than the /28", line: 7)),
    .init("legacy: selector operator in lower case", onePeer + "\n  node-selectors:\n  - match-expressions:\n"
          + "    - key: rack\n      operator: in\n      values: [a]", .rejected(.invalidValue, "case-sensitive: write In")),
    .init("legacy: peers written as a mapping", "peers:\n  peer-address: 10.0.0.1",
          .rejected(.wrongType, "expected a list")),
    .init("legacy: addresses written as one value", "address-pools:\n- name: a\n  protocol: layer2\n"
          + "  addresses: 10.0.0.0/24", .rejected(.wrongType, "write a list")),
    .init("legacy: YAML syntax error inside the ConfigMap",
          legacyConfigMap("address-pools:\n- name: a\n  protocol: [layer2"), .rejected(.syntax, "invalid YAML")),
    .init("legacy: pool keys lost their indentation (bare text)",
          "address-pools:\n- name: default\nprotocol: layer2\naddresses:\n- 10.0.0.0/24",
          .rejected(.unknownKey, "at the top level of the config instead of inside pool 'default'", line: 3)),
    .init("legacy: key indented too deeply",
          bgpPool + "\n  bgp-advertisements:\n  - aggregation-length: 32\n    auto-assign: false",
          .rejected(.unknownKey, "'auto-assign' is indented too deeply", line: 8)),
    .init("legacy: ConfigMap without data.config",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  foo: bar",
          .rejected(.unsupportedDocument, "kind 'ConfigMap' is not MetalLB configuration")),
    .init("legacy: data.config written as YAML, not text",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\n  config:\n    peers: []",
          .rejected(.wrongType, "must be the configuration as text")),
    .init("legacy: unknown BFD profile", onePeer + "\n  bfd-profile: missing",
          .rejected(.unknownReference, "no BFD profile is named 'missing'")),
    .init("legacy: ebgp-multihop on an iBGP peer",
          "peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64500\n  my-asn: 64500\n  ebgp-multihop: true",
          .rejected(.conflict, "iBGP peer")),
    .init("legacy: unknown top-level key", "peers: []\npools:\n- name: a",
          .rejected(.unknownKey, "unknown key 'pools' at the top level of the config", line: 2)),
    .init("legacy: config key outside data",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\nconfig: |\n  peers: []",
          .rejected(.unknownKey, "'config' is outside 'data'", line: 6)),

    // CRDs, accepted.
    .init("crd: pool and L2 advertisement", documents(crdPool, resource("L2Advertisement", "l2", "ipAddressPools: [p]")),
          .accepted("pools 1, l2 1")),
    .init("crd: L2 advertisement with no spec applies to all pools",
          documents(crdPool, "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: all\n"),
          .accepted("pools 1, l2 1")),
    .init("crd: serviceAllocation", resource("IPAddressPool", "pinned", "addresses: [10.0.0.0/24]\nserviceAllocation:\n"
          + "  priority: 50\n  namespaces: [web]\n  namespaceSelectors:\n  - matchLabels:\n      team: a\n"
          + "  serviceSelectors:\n  - matchExpressions:\n    - key: tier\n      operator: Exists"),
          .accepted("pools 1")),
    .init("crd: v1beta2 peer with dynamicASN", resource("BGPPeer", "tor", "myASN: 64500\ndynamicASN: external\n"
          + "peerAddress: 10.0.0.1\nconnectTime: 10s\nenableGracefulRestart: true\nvrf: red\ndualStackAddressFamily: true",
          apiVersion: "metallb.io/v1beta2"), .accepted("peers 1")),
    .init("crd: v1beta1 peer", resource("BGPPeer", "tor", crdPeer + "\nholdTime: 90s\nkeepaliveTime: 30s\n"
          + "routerID: 10.0.0.9\npassword: x"), .accepted("peers 1")),
    .init("crd: peer with passwordSecret", resource("BGPPeer", "tor", crdPeer
          + "\npasswordSecret:\n  name: bgp-auth\n  namespace: metallb-system", apiVersion: "metallb.io/v1beta2"),
          .accepted("peers 1")),
    .init("crd: community alias in an advertisement", documents(crdPool,
          resource("Community", "c", "communities:\n- name: no-export\n  value: 65535:65281"),
          resource("BGPAdvertisement", "ad", "ipAddressPools: [p]\ncommunities: [no-export]\nlocalPref: 50")),
          .accepted("pools 1, bgp 1, communities 1")),
    .init("crd: BFD profile with every field", resource("BFDProfile", "full", "receiveInterval: 300\n"
          + "transmitInterval: 300\ndetectMultiplier: 3\nechoInterval: 50\nechoMode: false\npassiveMode: true\n"
          + "minimumTtl: 254"), .accepted("bfd 1")),
    .init("crd: L2 advertisement selectors and interfaces", documents(crdPool, resource("L2Advertisement", "l2",
          "ipAddressPoolSelectors:\n- matchLabels:\n    pool: p\nnodeSelectors:\n- matchLabels:\n"
          + "    kubernetes.io/hostname: n1\ninterfaces: [eth0, eth1]")), .accepted("pools 1, l2 1")),
    .init("crd: status is ignored", crdPool + "status:\n  assignedIPv4: 3\n  somethingNew: true\n",
          .accepted("pools 1")),
    .init("crd: server-set metadata is ignored", "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n"
          + "  name: p\n  uid: abc\n  resourceVersion: \"1\"\n  generation: 2\n  managedFields:\n  - manager: kubectl\n"
          + "    fieldsV1: {f:spec: {}}\n  finalizers: [x]\nspec:\n  addresses: [10.0.0.0/24]\n", .accepted("pools 1")),
    .init("crd: unnumbered peer over an interface", resource("BGPPeer", "unnumbered",
          "myASN: 64500\npeerASN: 64501\ninterface: eth1", apiVersion: "metallb.io/v1beta2"), .accepted("peers 1")),
    .init("crd: status kinds are skipped", documents(crdPool, "apiVersion: metallb.io/v1beta1\nkind: ServiceL2Status\n"
          + "metadata:\n  name: l2-abc\nstatus:\n  node: n1\n"), .accepted("pools 1")),
    .init("crd: kind List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: metallb.io/v1beta1\n"
          + "  kind: IPAddressPool\n  metadata:\n    name: p\n  spec:\n    addresses: [10.0.0.0/24]\n",
          .accepted("pools 1")),
    .init("crd: legacy and CRD documents together", documents(legacyConfigMap(l2Pool) + "\n",
          resource("IPAddressPool", "other", "addresses: [10.2.0.0/24]")), .accepted("pools 2, l2 1")),

    // CRDs, rejected.
    .init("crd: misspelled spec key", resource("IPAddressPool", "p", "adresses: [10.0.0.0/24]"),
          .rejected(.unknownKey, "did you mean 'addresses'?", line: 7)),
    .init("crd: missing metadata.name", "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n"
          + "  namespace: metallb-system\nspec:\n  addresses: [10.0.0.0/24]\n",
          .rejected(.missingKey, "needs a name", line: 4)),
    .init("crd: removed AddressPool kind", resource("AddressPool", "old", "protocol: layer2\naddresses: [10.0.0.0/24]"),
          .rejected(.unsupportedDocument, "kind 'AddressPool' is not MetalLB configuration", line: 1)),
    .init("crd: not a MetalLB document", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
          .rejected(.unsupportedDocument, "apiVersion 'apps/v1', kind 'Deployment'")),
    .init("crd: v1beta2 field in a v1beta1 peer", resource("BGPPeer", "tor", "myASN: 1\ndynamicASN: external\n"
          + "peerAddress: 10.0.0.1"), .rejected(.unknownKey, "unknown key 'dynamicASN'", line: 8)),
    .init("crd: peerASN and dynamicASN", resource("BGPPeer", "tor", crdPeer + "\ndynamicASN: internal",
          apiVersion: "metallb.io/v1beta2"), .rejected(.conflict, "mutually exclusive", line: 8)),
    .init("crd: bad dynamicASN", resource("BGPPeer", "tor", "myASN: 1\ndynamicASN: any\npeerAddress: 10.0.0.1",
          apiVersion: "metallb.io/v1beta2"), .rejected(.invalidValue, "dynamicASN is 'internal' or 'external'", line: 8)),
    .init("crd: bad peerAddress", resource("BGPPeer", "tor", "myASN: 1\npeerASN: 2\npeerAddress: router1"),
          .rejected(.invalidValue, "'router1' is not an IPv4 or IPv6 address", line: 9)),
    .init("crd: aggregationLength 33", documents(crdPool,
          resource("BGPAdvertisement", "ad", "ipAddressPools: [p]\naggregationLength: 33")),
          .rejected(.invalidValue, "33 is not an IPv4 prefix length", line: 17)),
    .init("crd: bad community value", resource("Community", "c", "communities:\n- name: x\n  value: 1:2:3"),
          .rejected(.invalidValue, "invalid community '1:2:3'", line: 9)),
    .init("crd: BFD interval out of range", resource("BFDProfile", "b", "receiveInterval: 5"),
          .rejected(.invalidValue, "5 is out of range; use 10 to 60000", line: 7)),
    .init("crd: duplicate pool names", documents(crdPool, resource("IPAddressPool", "p", "addresses: [10.5.0.0/24]")),
          .rejected(.duplicate, "reuses the name \"p\"", line: 13)),
    .init("crd: spec keys lost their indentation", "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n"
          + "  name: p\nspec:\naddresses:\n- 10.0.0.0/24\n", .rejected(.unknownKey, "'addresses' is outside 'spec'", line: 6)),
    .init("crd: name under spec", resource("IPAddressPool", "p", "name: other\naddresses: [10.0.0.0/24]"),
          .rejected(.unknownKey, "belongs in 'metadata'", line: 7)),
    .init("crd: preferredNodeSelectors", documents(crdPool, resource("L2Advertisement", "l2",
          "preferredNodeSelectors:\n- weight: 10\n  preference: {}")), .rejected(.invalidValue, "not supported by lbd")),
    .init("crd: duplicate ipAddressPools entry", documents(crdPool, resource("L2Advertisement", "l2",
          "ipAddressPools: [p, p]")), .rejected(.duplicate, "'p' is already listed")),
    .init("crd: advertisement to an unknown peer", documents(crdPool, resource("BGPAdvertisement", "ad",
          "ipAddressPools: [p]\npeers: [nobody]")), .rejected(.unknownReference, "nobody")),
    .init("crd: pool without addresses", resource("IPAddressPool", "empty", "autoAssign: false"),
          .rejected(.missingKey, "needs at least one address entry")),
    .init("crd: autoAssign not a bool", resource("IPAddressPool", "p", "addresses: [10.0.0.0/24]\nautoAssign: maybe"),
          .rejected(.wrongType, "expected true or false", line: 8)),
    .init("crd: bad selector operator", documents(crdPool, resource("L2Advertisement", "l2",
          "nodeSelectors:\n- matchExpressions:\n  - key: a\n    operator: Equals\n    values: [b]")),
          .rejected(.invalidValue, "unknown operator 'Equals'")),
    .init("crd: a bad item in a List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n"
          + "  metadata:\n    name: s\n", .rejected(.unsupportedDocument, "kind 'Secret'", line: 4)),
    .init("crd: metadata keys lost their indentation", "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
          + "metadata:\nname: p\nspec:\n  addresses: [10.0.0.0/24]\n",
          .rejected(.unknownKey, "'name' is outside 'metadata'", line: 4)),
]

@Suite("MetalLB configurations")
struct MetalLBTableTests {
    @Test func tableIsLargeEnough() {
        #expect(metalLBCases.count >= 60)
        #expect(Set(metalLBCases.map(\.name)).count == metalLBCases.count)
    }

    @Test(arguments: metalLBCases)
    func importer(_ example: MetalLBCase) throws {
        let documents = try example.documents()
        #expect(documents.allSatisfy(MetalLBImporter.recognizes) || {
            if case .rejected(.unsupportedDocument, _, _) = example.outcome { return true } else { return false }
        }())
        switch example.outcome {
        case .accepted(let expected):
            let policy = try MetalLBImporter.policy(from: documents)
            #expect(summary(policy) == expected)
        case .rejected(let code, let fragment, let line):
            let problems = metalLBProblems(documents)
            let match = problems.first { $0.code == code && $0.message.contains(fragment) }
            #expect(match != nil, "no \(code) problem containing \"\(fragment)\" in:\n\(ConfigError.listing(problems))")
            if let line, let match {
                #expect(match.location?.line == line, "\(match)")
            }
            #expect(problems.allSatisfy { $0.location?.file == "case.yaml" || $0.location == nil }, "\(problems)")
        }
    }
}

extension ConfigError {
    /// The problems one per line, or `(none)`.
    static func listing(_ problems: [ConfigProblem]) -> String {
        problems.isEmpty ? "(none)" : problems.map(\.description).joined(separator: "\n")
    }
}
