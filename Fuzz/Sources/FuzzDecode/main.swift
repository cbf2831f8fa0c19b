import CFuzzDriver
#if canImport(Glibc)
import Glibc
#endif
import WireFuzzing

// libFuzzer calls this for every input; a crash (trap, bounds check, ASan report) is a finding.
var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
var count = CommandLine.argc
let status = LLVMFuzzerRunDriver(&count, &arguments) { data, size in
    WireFuzzCheck.decodeEverything(UnsafeBufferPointer(start: data, count: size))
    return 0
}
exit(status)
