import Foundation
import LabKit

/// The programs the Layer 2 lab runs besides `ip` (scripts/apt-packages.txt installs them).
extension Tools {
    /// Real ARP and NDP clients, the bridge tool, and Python for the echo servers, the prober and the raw frames.
    static let layer2 = [Tool(program: "arping", package: "iputils-arping"), Tool(program: "ndisc6", package: "ndisc6"),
                         Tool(program: "bridge", package: "iproute2"), Tool(program: python, package: "python3")]

    /// Debian's own Python (a pyenv shim on `PATH` would start a shell first, and its pid would not be Python's).
    static var python: String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    }
}
