import Foundation

/// The end of a lab: its processes killed, its namespaces deleted and its directory removed, unless `LBDT_KEEP`
/// is set in the environment to keep the directory for a closer look.
public enum LabTeardown {
    /// Whether lab directories are kept (`LBDT_KEEP` is set).
    public static var keepsDirectories: Bool { ProcessInfo.processInfo.environment["LBDT_KEEP"] != nil }

    /// The last line of a failure report: where the directory is kept, or how to keep it.
    public static func keepHint(_ directory: URL) -> String {
        keepsDirectories ? "(kept: \(directory.path))\n" : "(set LBDT_KEEP=1 to keep \(directory.path))\n"
    }

    /// Kills `processes` (SIGKILL, by pid), deletes `namespaces` and removes `directory` unless it is kept. Never
    /// throws: it is the cleanup path.
    public static func destroy(processes: [LabProcess], namespaces: [String], directory: URL) async {
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.stop(SIGKILL, grace: .seconds(5)) } }
        }
        await LabNamespaces.delete(namespaces)
        removeUnlessKept(directory)
    }

    /// Removes `directory` unless lab directories are kept.
    public static func removeUnlessKept(_ directory: URL) {
        if !keepsDirectories { try? FileManager.default.removeItem(at: directory) }
    }
}
