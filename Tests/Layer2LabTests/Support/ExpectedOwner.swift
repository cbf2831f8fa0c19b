import Crypto

/// Who should own an address, computed here without lbd's code: MetalLB's order, ascending bytes of
/// SHA-256(node + "#" + address) (ties by name), first = owner.
enum ExpectedOwner {
    /// The candidates in election order for `address` (its text form, `10.97.0.100`).
    static func ranking(of candidates: [String], for address: String) -> [String] {
        candidates.map { (node: $0, digest: Array(SHA256.hash(data: Array("\($0)#\(address)".utf8)))) }
            .sorted { $0.digest.lexicographicallyPrecedes($1.digest) || ($0.digest == $1.digest && $0.node < $1.node) }
            .map(\.node)
    }
}
