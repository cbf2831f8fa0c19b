// End-to-end tests of the `kubernetes` source: lbd processes against KubeTestServer (issue 5).
import Testing
