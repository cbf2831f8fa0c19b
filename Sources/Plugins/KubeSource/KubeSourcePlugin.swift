// KubeSourcePlugin: the Kubernetes source (`plugin: kubernetes`; docs/kubernetes.md).
//
// KubeSource.swift       the AddressSource: informers → SnapshotBuilder → the kernel; record() → WriteBackPlanner →
//                        ServiceWriter. Publishes `allocates: false` while another lbd holds the Lease.
// KubeSource+Configuration.swift  its plugin file keys
// KubeWatchedObjects.swift        the watched collections and what their informers hold
// ServiceWriter.swift    status and annotation patches with resourceVersion preconditions (409 → re-read, retry),
//                        bounded concurrency, events through EventRecorder
// Election/  the allocating role: LeaseElectionStateMachine (client-go's rules, pure), LeaseElector (its shell),
//            KubeLease
// Client/   KubeConfiguration (in-cluster and kubeconfig files), KubeClient (REST on async-http-client and
//           swift-nio-ssl, bearer tokens re-read when they rotate), and Informer: list, then watch with bookmarks,
//           relist on 410, back off with jitter on 429/5xx (Retry-After honoured), restart a silent watch; its
//           logic is the pure InformerStateMachine.
// Mapping/  Kubernetes objects to the kernel's model and back, pure: ServiceMapper (type, class, annotations under
//           both prefixes, requested addresses, families, ports, traffic policy), EndpointIndex, nodes, namespaces,
//           MetalLBObjects (the metallb.io resources and the legacy ConfigMap through the kernel's importers),
//           SnapshotBuilder, WriteBackPlanner (status, the pool annotation, MetalLB's events) and EventRecorder
//           (aggregation and rate limits). Kubernetes types stop in this module.
