// LabKit: what the root acceptance tests share (BGPRouterTests, Layer2LabTests, the Layer 2 link tests, the
// Kubernetes end-to-end tests).
//
// ChildProcess starts a program with posix_spawn (empty signal mask, default handlers, descriptors 0-2 only) and
// reaps it by pid; Command runs one to completion and returns its output (CommandResult); LabProcess is a
// long-running one logging to a file; `poll` is the bounded wait every lab uses (LabTimeout says what was last seen;
// LabError is what a lab could not do); Tools names the programs and the Debian packages that install them;
// LBDBinary finds the lbd binary the tests run; LabGate lets one lab run at a time in the test process;
// LabNamespaces and LabTeardown end a lab (processes, namespaces, directory); NamespaceForwarder opens a
// loopback port inside lab namespaces; Kubectl runs kubectl against a kubeconfig. Each lab
// (namespaces, addresses) lives in its own test target.
