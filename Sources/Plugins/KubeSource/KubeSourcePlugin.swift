// KubeSourcePlugin: the Kubernetes source (`plugin: kubernetes`, issue 5; docs/kubernetes.md). In progress: the
// parts below exist and are tested; the source itself (the `AddressSource` that runs the informers, builds
// snapshots, holds the allocator Lease and writes back) is not written yet, so lbd does not register the plugin.
//
// Client/   KubeConfiguration (in-cluster and kubeconfig files), KubeClient (REST on async-http-client and
//           swift-nio-ssl, bearer tokens re-read when they rotate), and Informer: list, then watch with bookmarks,
//           relist on 410, back off with jitter on 429/5xx (Retry-After honoured), restart a silent watch; its
//           logic is the pure InformerStateMachine.
// Mapping/  Kubernetes objects to the kernel's model and back, pure: ServiceMapper (type, class, annotations under
//           both prefixes, requested addresses, families, ports, traffic policy), EndpointIndex, nodes, namespaces,
//           MetalLBObjects (the metallb.io resources and the legacy ConfigMap through the kernel's importers),
//           SnapshotBuilder, WriteBackPlanner (status, the pool annotation, MetalLB's events) and EventRecorder
//           (aggregation and rate limits). Kubernetes types stop in this module.
