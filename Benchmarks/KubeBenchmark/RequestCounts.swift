/// The API requests made during a phase, by what they do, from the server's request log (`METHOD uri`): where lbd's
/// time goes on the wire.
struct RequestCounts: CustomStringConvertible {
    var creates = 0
    var statusWrites = 0
    var serviceWrites = 0
    var events = 0
    var gets = 0
    var lists = 0
    var watches = 0
    var lease = 0
    var otherReads = 0
    var other = 0

    /// Counts `log` (the request log's entries of one phase).
    init(_ log: some Sequence<String>) {
        for entry in log {
            let parts = entry.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let method = parts[0], uri = parts[1]
            let path = uri.split(separator: "?", maxSplits: 1).first ?? ""
            if uri.contains("watch=true") || uri.contains("watch=1") {
                watches += 1
            } else if path.contains("/leases") {
                lease += 1
            } else if path.contains("/events") {
                events += 1
            } else if path.contains("/services") {
                let segments = path.split(separator: "/")
                let isCollection = segments.last == "services"
                switch (method, isCollection) {
                case ("POST", true): creates += 1
                case ("GET", true): lists += 1
                case ("GET", false): gets += 1
                case (_, false) where path.hasSuffix("/status"): statusWrites += 1
                case (_, false): serviceWrites += 1
                default: other += 1
                }
            } else if method == "GET" {
                otherReads += 1
            } else {
                other += 1
            }
        }
    }

    /// `status writes 1000, service writes 1000, …`.
    var description: String {
        "status writes \(statusWrites), other service writes \(serviceWrites), events \(events), service gets "
            + "\(gets), service lists \(lists), other reads \(otherReads), watches opened \(watches), lease \(lease), "
            + "other \(other) "
            + "(and \(creates) creates by the benchmark)"
    }
}
