/// The command line: `lbd-kube-bench [--lbd PATH] [--runs N] [--pause MS] [--burst N] [--services N] [--connections N]
/// [--coalescing MS] [--keep]`.
struct BenchOptions: Sendable {
    /// The lbd binary (a release build).
    var lbd = ".build-release/release/lbd"
    /// Figure 1: how many Services are created one at a time.
    var runs = 200
    /// Figure 1: how long to wait after each Service got its address before creating the next.
    var pause = 0
    /// Figure 2: how many Services are created at once (0 skips the figure).
    var burst = 1000
    /// Figure 3: how many Services lbd watches when its memory is read (0 skips the figure).
    var services = 10_000
    /// lbd's `coalescingDelay` in milliseconds.
    var coalescing = 10
    /// How many connections the concurrent creates are spread over.
    var connections = 32
    /// Keep the temporary directory (lbd's files and log).
    var keep = false

    static let usage = """
        usage: lbd-kube-bench [--lbd PATH] [--runs N] [--pause MS] [--burst N] [--services N] [--connections N]
                              [--coalescing MS] [--keep]
          --lbd PATH        the lbd binary, a release build (default .build-release/release/lbd)
          --runs N          figure 1: Services created one at a time (default 200)
          --pause MS        figure 1: milliseconds to wait after an address before the next Service (default 0)
          --burst N         figure 2: Services created at once (default 1000; 0 skips it)
          --services N      figure 3: Services watched when lbd's memory is read (default 10000; 0 skips it)
          --connections N   connections the concurrent creates are spread over (default 32)
          --coalescing MS   lbd's coalescingDelay in milliseconds (default 10)
          --keep            keep the temporary directory with lbd's files and log
        """

    /// Parses `arguments` (without the program name).
    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func number(_ flag: String, minimum: Int) throws -> Int {
            guard let text = rest.popFirst(), let value = Int(text), value >= minimum else {
                throw BenchError("\(flag) needs a whole number ≥ \(minimum)\n\(Self.usage)")
            }
            return value
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--lbd":
                guard let path = rest.popFirst() else { throw BenchError("--lbd needs a path\n\(Self.usage)") }
                lbd = path
            case "--runs": runs = try number(flag, minimum: 1)
            case "--pause": pause = try number(flag, minimum: 0)
            case "--burst": burst = try number(flag, minimum: 0)
            case "--services": services = try number(flag, minimum: 0)
            case "--connections": connections = try number(flag, minimum: 1)
            case "--coalescing": coalescing = try number(flag, minimum: 0)
            case "--keep": keep = true
            case "-h", "--help": throw BenchError(Self.usage)
            default: throw BenchError("unknown option \(flag)\n\(Self.usage)")
            }
        }
    }
}
