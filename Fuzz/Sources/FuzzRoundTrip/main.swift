import CFuzzDriver
#if canImport(Glibc)
import Glibc
#endif
import WireFuzzing

// libFuzzer calls this for every input; a failed consistency check traps, which libFuzzer records as a crash.
var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
var count = CommandLine.argc
let status = LLVMFuzzerRunDriver(&count, &arguments) { data, size in
    if let failure = WireFuzzCheck.roundTrip(UnsafeBufferPointer(start: data, count: size)) {
        fatalError(failure)
    }
    return 0
}
exit(status)
