// KubeTestServer: a Kubernetes API test server for lbd tests (issue 5).
