import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about a process and the machine: memory, CPU time, load average.
enum ProcessStats {
    /// Resident memory of a process, in KiB, from /proc/PID/status.
    struct Memory: Sendable {
        /// VmRSS: resident now.
        var rssKiB: Int
        /// VmHWM: the peak resident set so far.
        var peakKiB: Int
        /// RssAnon: the heap and stacks, of VmRSS.
        var anonymousKiB: Int
        /// RssFile: mapped files (the binary's own pages), of VmRSS.
        var fileKiB: Int

        /// `rss 12.3 MiB (anonymous 8.0, files 4.3; peak 14.0 MiB)`.
        var description: String {
            "rss \(mib(rssKiB)) MiB (anonymous \(mib(anonymousKiB)), files \(mib(fileKiB)); peak \(mib(peakKiB)) MiB)"
        }
    }

    /// VmRSS and VmHWM of `pid`.
    static func memory(of pid: Int32) throws -> Memory {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return line.split(separator: " ").dropFirst().compactMap { Int($0) }.first ?? 0
        }
        return Memory(rssKiB: field("VmRSS"), peakKiB: field("VmHWM"), anonymousKiB: field("RssAnon"),
                      fileKiB: field("RssFile"))
    }

    /// User plus system CPU time `pid` has used, in seconds (fields 14 and 15 of /proc/PID/stat).
    static func cpuSeconds(of pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // After "pid (comm)": field 3 is state, so utime (14) and stime (15) are at offsets 11 and 12.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The 1, 5 and 15 minute load averages and the number of CPUs: `load 1.23 0.98 0.70 on 2 CPUs`.
    static var loadAverage: String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "? ? ?"
        return "load \(text.split(separator: " ").prefix(3).joined(separator: " ")) on "
            + "\(ProcessInfo.processInfo.activeProcessorCount) CPUs"
    }

    /// `kib` in MiB with one decimal.
    static func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
}

/// Figures from a list of durations.
struct Percentiles {
    /// The durations in milliseconds, sorted.
    let sorted: [Double]

    init(_ durations: [Duration]) {
        sorted = durations.map(\.milliseconds).sorted()
    }

    /// The nearest-rank percentile `p` (0–100) in milliseconds.
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    /// The largest.
    var max: Double { sorted.last ?? .nan }
}

extension Duration {
    /// The duration in milliseconds.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}

/// Writes `line` to standard output at once (unbuffered, so a piped run shows each figure as it comes).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// `12.3` (milliseconds with one decimal; two below 10).
func ms(_ value: Double) -> String { String(format: abs(value) < 10 ? "%.2f" : "%.1f", value) }
