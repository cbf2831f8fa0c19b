public import LBKernel

extension PathAttributes {
    /// The well-known communities (RFC 1997 §2 and the RFCs that added to its registry), as 32-bit values.
    public enum WellKnownCommunity: UInt32, CaseIterable, Hashable, Sendable, CustomStringConvertible {
        /// NO_EXPORT: not advertised outside the AS or confederation (RFC 1997).
        case noExport = 0xFFFF_FF01
        /// NO_ADVERTISE: not advertised to any peer (RFC 1997).
        case noAdvertise = 0xFFFF_FF02
        /// NO_EXPORT_SUBCONFED: not advertised to external peers, even inside a confederation (RFC 1997).
        case noExportSubconfed = 0xFFFF_FF03
        /// NOPEER: not advertised to bilateral peers (RFC 3765).
        case noPeer = 0xFFFF_FF04
        /// GRACEFUL_SHUTDOWN: the path is about to go away (RFC 8326).
        case gracefulShutdown = 0xFFFF_0000
        /// BLACKHOLE: traffic to the prefix is dropped (RFC 7999).
        case blackhole = 0xFFFF_029A

        /// The name as the registry writes it (`NO_EXPORT`).
        public var description: String {
            switch self {
            case .noExport: "NO_EXPORT"
            case .noAdvertise: "NO_ADVERTISE"
            case .noExportSubconfed: "NO_EXPORT_SUBCONFED"
            case .noPeer: "NOPEER"
            case .gracefulShutdown: "GRACEFUL_SHUTDOWN"
            case .blackhole: "BLACKHOLE"
            }
        }
    }

    /// Sets COMMUNITIES and LARGE_COMMUNITY from the kernel's communities, in the order given, without repeats
    /// (RFC 8092 §5 forbids repeated large communities; a repeated standard one is as useless).
    public mutating func setCommunities(_ list: some Sequence<BGPCommunity>) {
        communities = []
        largeCommunities = []
        var seen = Set<BGPCommunity>()
        for community in list where seen.insert(community).inserted {
            switch community {
            case .standard(let high, let low): communities.append(UInt32(high) << 16 | UInt32(low))
            case .large(let a, let b, let c): largeCommunities.append(LargeCommunity(a, b, c))
            }
        }
    }
}
