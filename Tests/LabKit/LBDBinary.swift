import Foundation

/// Where the lbd binary the labs run is.
public enum LBDBinary {
    /// The lbd binary built beside the test bundle (`swift build --build-tests` builds it), or `LBD_BINARY`.
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["LBD_BINARY"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        // .build/<triple>/debug/lbdPackageTests.xctest (a file on Linux, a bundle elsewhere).
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("lbd").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        let beside = directory.appendingPathComponent("lbd").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        // Run from elsewhere: the package's own build directory (this file is Tests/LabKit/LBDBinary.swift).
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/lbd").path
    }

    /// ``path``, after checking that it is an executable: a lab fails with how to build lbd instead of a spawn error.
    public static func required() throws -> String {
        let binary = path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw LabError("the lbd binary is not at \(binary): build it with `swift build --build-tests`")
        }
        return binary
    }
}
