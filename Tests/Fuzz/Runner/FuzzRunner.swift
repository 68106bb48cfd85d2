#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import FuzzTargets

#if canImport(Glibc)
import Glibc
#endif

/// The target named by ELEVATE_FUZZ_TARGET (libFuzzer passes only the input, so the choice travels outside it).
let selectedTarget: FuzzTarget = {
    let name = getenv("ELEVATE_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        complain("elevate-fuzz: set ELEVATE_FUZZ_TARGET to one of: \(known)")
        exit(2)
    }
    return target
}()

func complain(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
}

#if FUZZING
/// libFuzzer's entry point (built with `-sanitize=fuzzer,address -DFUZZING` by `make fuzz`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// libFuzzer's driver, from its runtime: SwiftPM links every executable with its own `main`, which may win over
/// libFuzzer's, so that one starts the same driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
enum Fuzz {
    static func main() {
        _ = selectedTarget
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
/// Without libFuzzer: runs the target on each file named on the command line (a corpus replay).
@main
enum Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                complain("elevate-fuzz: cannot read '\(path)'")
                exit(1)
            }
            selectedTarget.run(Array(data))
        }
    }
}
#endif
