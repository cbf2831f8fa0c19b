import Foundation
import KubeSourcePlugin
import LBKernel
import Testing

/// Loads the JSON fixtures in Fixtures/mapping (objects as `kubectl get -o json` shows them).
enum MappingFixtures {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/mapping/\(name)", withExtension: "json"))
        return try Data(contentsOf: url)
    }

    static func object<T: KubeObject>(_ type: T.Type, _ name: String) throws -> T {
        try KubeObjectDecoder.decode(T.self, from: data(name))
    }

    /// The items of a `kind: List` fixture.
    static func list<T: KubeObject>(_ type: T.Type, _ name: String) throws -> [T] {
        try JSONDecoder().decode(List<T>.self, from: data(name)).items
    }

    static func service(_ name: String) throws -> KubeService { try object(KubeService.self, name) }

    struct List<T: Decodable>: Decodable { var items: [T] }

    static let namespace = "lbd-system"

    /// The MetalLB objects of a valid configuration.
    static func metallb(extra: [String] = [], secrets: Bool = true) throws -> MetalLBObjects {
        let names = ["crd-pool-a", "crd-l2", "crd-bgpadv", "crd-community", "crd-bfd", "crd-peer"] + extra
        return MetalLBObjects(namespace: namespace, resources: try names.map(data),
                              secrets: secrets ? try list(KubeSecret.self, "secrets") : [])
    }
}
