#if canImport(Glibc)
import Glibc
#endif
import CProcessEntry

/// The command line of this process, taken from the process entry (the C `argv`) rather than from the Swift
/// runtime, which reads `/proc/self/cmdline` on Linux and finds nothing where `/proc` is not mounted.
enum ProcessArguments {
    /// Each argument as the bytes this process was given, `argv[0]` first; empty when they cannot be read.
    static var bytes: [[UInt8]] {
        let count = Int(process_entry_argc())
        guard count > 0, let argv = process_entry_argv() else { return [] }
        return (0..<count).map { index in
            guard let pointer = argv[index] else { return [] }
            return Array(
                UnsafeBufferPointer(
                    start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
        }
    }

    /// The arguments as strings (bytes that are not UTF-8 repaired, as `CommandLine.arguments` does); empty when
    /// they cannot be read.
    static var strings: [String] {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }
}
