// Returning freed heap memory to the system after snapshot rebuilds.

/// Gives the memory the C allocator keeps after large rebuilds back to the system, a while after they stop.
///
/// Every change rebuilds the whole snapshot (thousands of Services), and glibc's allocator keeps what the previous
/// builds freed in its arenas, so the resident size stays near the burst's peak: 87 MiB anonymous against 52 live
/// with 10,000 Services (docs/kubernetes-benchmark.md). `malloc_trim(0)` returns that memory; it runs at most once
/// per ``delay``, and once ``delay`` after the last rebuild, never on the rebuild's path.
struct HeapTrimmer: Sendable {
    /// How long after a rebuild the heap is trimmed (and so the most often it is).
    static let delay = Duration.seconds(2)

    /// Trims once per ``delay`` while `rebuilds` yields, and once after the last; returns when it finishes.
    static func run(rebuilds: AsyncStream<Void>) async {
        for await _ in rebuilds {
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            trim()
        }
    }

    /// Returns the free memory of every arena to the system (glibc); does nothing elsewhere.
    static func trim() {
        #if canImport(Glibc)
        _ = mallocTrim(0)
        #endif
    }
}

#if canImport(Glibc)
/// glibc's `malloc_trim` (malloc.h), which the Glibc module does not export.
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
#endif
