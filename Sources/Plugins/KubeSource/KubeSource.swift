/// The Kubernetes address source (`plugin: kubernetes`). Being written (issue 5).
public final class KubeSource: Sendable {}
