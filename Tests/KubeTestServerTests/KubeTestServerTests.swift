// KubeTestServerTests: placeholder until the server lands.
