import Foundation

/// The programs the router lab runs, and the Debian package that installs each.
enum Tools {
    /// A program and where it comes from.
    struct Tool: Sendable {
        /// The program's name (or its path, for FRR's daemons outside `PATH`).
        var program: String
        /// The Debian package that installs it.
        var package: String
    }

    /// What every lab needs.
    static let lab = [Tool(program: "ip", package: "iproute2"), Tool(program: "tc", package: "iproute2"),
                      Tool(program: "ss", package: "iproute2")]
    /// BIRD 2.
    static let bird = [Tool(program: "bird", package: "bird2"), Tool(program: "birdc", package: "bird2")]
    /// FRR's daemons and shell.
    static let frr = [Tool(program: "/usr/lib/frr/zebra", package: "frr"),
                      Tool(program: "/usr/lib/frr/bgpd", package: "frr"),
                      Tool(program: "/usr/lib/frr/bfdd", package: "frr"),
                      Tool(program: "vtysh", package: "frr")]
    /// GoBGP.
    static let gobgp = [Tool(program: "gobgpd", package: "gobgpd"), Tool(program: "gobgp", package: "gobgpd")]
    /// Packet capture (tcpdump) and decoding (Wireshark's tshark).
    static let tshark = [Tool(program: "tshark", package: "tshark"), Tool(program: "tcpdump", package: "tcpdump")]

    /// Throws, naming the packages to install, unless every tool is installed. Tests fail (never skip) without
    /// their tools.
    static func require(_ tools: [Tool]) throws {
        let missing = tools.filter { Command.path(of: $0.program) == nil }
        guard !missing.isEmpty else { return }
        let packages = Set(missing.map(\.package)).sorted().joined(separator: " ")
        throw LabError("\(missing.map(\.program).joined(separator: ", ")) not installed: "
                       + "apt-get install \(packages) (`make test` installs them)")
    }
}
