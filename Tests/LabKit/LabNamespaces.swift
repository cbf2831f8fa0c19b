import Glibc

/// Removing the network namespaces a lab created.
public enum LabNamespaces {
    /// Kills what still runs in `namespaces` (by pid) and deletes them. Only for namespaces a lab created: their
    /// names are unique to it, so anything inside was started by it. Never throws: it is the cleanup path.
    public static func delete(_ namespaces: [String]) async {
        for namespace in namespaces {
            // Deleting a namespace does not end the processes in it.
            if let pids = try? await Command.run(["ip", "netns", "pids", namespace], timeout: .seconds(10)) {
                for pid in pids.stdout.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? await Command.run(["ip", "netns", "del", namespace], timeout: .seconds(10))
        }
    }
}
