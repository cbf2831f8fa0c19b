import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

@Suite struct MappingRawObjectTests {
    @Test func rawObjectsFeedTheImporterUnchanged() throws {
        let names = ["crd-pool-a", "crd-l2", "crd-bgpadv", "crd-community", "crd-bfd", "crd-peer"]
        let raw = try names.map { try KubeObjectDecoder.decode(RawObject.self, from: MappingFixtures.data($0)) }
        #expect(raw[0].kind == "IPAddressPool")
        #expect(raw[0].apiVersion == "metallb.io/v1beta1")
        #expect(raw[0].metadata.qualifiedName == "lbd-system/pool-a")
        let fromRaw = try MetalLBObjects(namespace: "lbd-system", resources: raw.map(\.json),
                                         secrets: MappingFixtures.list(KubeSecret.self, "secrets")).policy()
        #expect(fromRaw == (try MappingFixtures.metallb().policy()))
        #expect(fromRaw.bgpPeers.first?.myASN == 64512)
    }

    @Test(arguments: [
        (#"{"a":1}"#, JSONValue.object(["a": .integer(1)])),
        (#"[1.5,"x",true,null]"#, .array([.number(1.5), .string("x"), .bool(true), .null])),
    ])
    func jsonValues(text: String, value: JSONValue) throws {
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
    }

    @Test func aRawObjectWithoutNameIsAProblem() {
        #expect(throws: KubeObjectProblem.self) {
            try KubeObjectDecoder.decode(RawObject.self, from: Data(#"{"kind":"IPAddressPool","metadata":{}}"#.utf8))
        }
    }
}
