// End-to-end tests of the `kubernetes` source (issue 5): real `lbd run` processes (the kubernetes source and the log
// announcer, so nothing touches the network) against an in-process KubeTestServer. No root needed.
//
// Support/KubeCluster    the server, its kubeconfig, base objects (namespaces, nodes), pools, Services, Events,
//                        the Lease, bounded waits; `withCluster` runs a test and always cleans up
// Support/LBDProcess     one lbd child process (its lbd.yaml and plugins.d/), started, stopped or killed by pid
// Support/TestService    a Service as a test creates it (families, ports, annotations, a seeded status)
// AllocationTests        single-stack v4/v6, dual-stack, requested addresses, pool annotation, sharing key; what
//                        lbd must leave alone (ClusterIP, another loadBalancerClass)
// ReleaseTests           delete → released and reused; exhausted pool → AllocationFailed, then the freed address
// ConfigChangeTests      pools shrunk or deleted → ClearAssignment and reallocation (metallb.md §c)
// ScaleTests             1,000 Services created at once
// FaultTests             dropped watches, 410 on resume, API server restart, 409 on status writes, 429/500 bursts
// LeaderElectionTests    two lbds, one Lease; the leader killed (-9) while Services are created
// RestartTests           SIGTERM and start again: nobody's address moves; a seeded status is kept
import Testing

/// The end-to-end suites, run one test at a time: each starts lbd processes, and the machine is small.
@Suite(.serialized) struct KubeSourceE2E {}
