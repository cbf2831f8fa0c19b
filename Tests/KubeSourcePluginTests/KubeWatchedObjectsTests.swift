import Testing
@testable import KubeSourcePlugin

/// The source waits for every collection's first list, and can say which are missing.
struct KubeWatchedObjectsTests {
    @Test func everyCollectionMustBeListedOnceAndTheMissingOnesAreNamed() {
        let paths = KubeWatchedPaths(namespace: "lbd-system", legacyConfigMap: "config")
        var objects = KubeWatchedObjects(paths: paths)
        #expect(objects.unlisted(paths: paths).count == 12)
        #expect(objects.unlisted(paths: paths).contains("/apis/metallb.io/v1beta2/namespaces/lbd-system/bgppeers"))
        #expect(objects.unlisted(paths: paths).contains(
            "/api/v1/namespaces/lbd-system/configmaps?fieldSelector=metadata.name%3Dconfig"))
        objects.services = [:]
        objects.endpointSlices = [:]
        objects.nodes = [:]
        objects.namespaces = [:]
        objects.secrets = [:]
        objects.legacy = [:]
        for path in paths.metallb.dropLast() { objects.metallb[path] = [:] }
        #expect(objects.unlisted(paths: paths) == ["/apis/metallb.io/v1beta1/namespaces/lbd-system/bfdprofiles"])
        #expect(!objects.synced(paths: paths))
        objects.metallb[paths.metallb.last!] = [:]
        #expect(objects.synced(paths: paths))
    }

    @Test func withoutALegacyConfigMapItIsNotWaitedFor() {
        let paths = KubeWatchedPaths(namespace: "lbd-system")
        #expect(paths.legacy == nil)
        #expect(KubeWatchedObjects(paths: paths).unlisted(paths: paths).count == 11)
    }
}
