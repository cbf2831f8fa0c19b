// KubeSourcePlugin: the Kubernetes source (issue 5); its parts land in Client/, Mapping/ and the source itself.
