public import LBKernel
import Crypto

/// The stateless owner election every node runs alike: MetalLB's order of candidates for a service.
///
/// Candidates are sorted by the bytes of SHA-256(node name + "#" + the service's first address in its canonical
/// text form), ascending; the first live candidate owns the service. Nobody needs to agree on anything but the
/// candidate list and the live set: removing a node that does not own the service moves nothing, and a node that
/// appears moves the service only if it sorts first (MetalLB `internal/layer2`, `nodesWithHash`).
///
/// The text form is `IPAddress.description` (dotted quad, RFC 5952 for IPv6), which is what Go's `net.IP.String`
/// prints too, except for IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d` here, `a.b.c.d` in Go), never a service
/// address in practice.
public enum OwnerElection {
    /// The candidates in election order for a service whose first address is `address`; duplicates are removed.
    ///
    /// Two names never share a digest in practice; should they, the names decide, so the order is total.
    public static func ranking(of candidates: [String], for address: IPAddress) -> [String] {
        let key = "#" + address.description
        return Set(candidates)
            .map { (name: $0, digest: Array(SHA256.hash(data: Array(($0 + key).utf8)))) }
            .sorted { $0.digest.lexicographicallyPrecedes($1.digest) || ($0.digest == $1.digest && $0.name < $1.name) }
            .map(\.name)
    }

    /// The first of `candidates` in election order that `isLive` accepts, or nil when none is live.
    public static func owner(among candidates: [String], for address: IPAddress,
                             isLive: (String) -> Bool) -> String? {
        ranking(of: candidates, for: address).first(where: isLive)
    }
}
