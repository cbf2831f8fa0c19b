import Foundation

/// The programs a lab runs, and the Debian package that installs each (scripts/apt-packages.txt lists them all).
/// Test targets add their own sets in extensions (`Tools.bird`, `Tools.layer2`).
public enum Tools {
    /// A program and where it comes from.
    public struct Tool: Sendable {
        /// The program's name (or its path, for daemons outside `PATH`).
        public var program: String
        /// The Debian package that installs it.
        public var package: String

        /// A program and its package.
        public init(program: String, package: String) {
            self.program = program
            self.package = package
        }
    }

    /// What every lab needs.
    public static let lab = [Tool(program: "ip", package: "iproute2"), Tool(program: "tc", package: "iproute2"),
                             Tool(program: "ss", package: "iproute2")]

    /// Throws, naming the packages to install, unless every tool is installed. Tests fail (never skip) without
    /// their tools.
    public static func require(_ tools: [Tool]) throws {
        let missing = tools.filter { Command.path(of: $0.program) == nil }
        guard !missing.isEmpty else { return }
        let packages = Set(missing.map(\.package)).sorted().joined(separator: " ")
        throw LabError("\(missing.map(\.program).joined(separator: ", ")) not installed: "
                       + "apt-get install \(packages) (`make test` installs them)")
    }
}
