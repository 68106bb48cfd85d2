#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// Standard output: the credential document or the shell text, written once, and nothing else.
enum Output {
    static func write(_ text: String) {
        writeAll(fd: 1, Array(text.utf8))
    }
}
