import LabKit

/// The routers and the capture tools the router lab runs (LabKit's `Tools` has what every lab needs).
extension Tools {
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
}
