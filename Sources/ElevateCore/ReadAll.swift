#if canImport(Glibc)
import Glibc
#endif

/// What ``readAll(fd:sizeHint:limit:)`` read.
public enum ReadAllResult: Sendable, Equatable {
    case bytes([UInt8])
    /// The file holds more than `limit` bytes.
    case tooLarge
    /// `read` failed with this `errno`.
    case failed(Int32)
}

/// Reads `fd` to its end, retrying on EINTR, into an array sized from `sizeHint` (the `st_size` of an `fstat`),
/// so that a small file costs one allocation and no zero-filled buffer. A file that grew after `fstat` is read on
/// in further chunks; more than `limit` bytes is ``ReadAllResult/tooLarge``.
public func readAll(fd: Int32, sizeHint: Int, limit: Int) -> ReadAllResult {
    // One byte more than expected: reading it (or an end of file) shows whether the file grew.
    let capacity = min(max(sizeHint, 0), limit) + 1
    var failure: Int32?
    var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
        initialized = 0
        while initialized < capacity {
            let count = read(fd, buffer.baseAddress! + initialized, capacity - initialized)
            if count < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            if count == 0 { return }
            initialized += count
        }
    }
    if let failure { return .failed(failure) }
    guard bytes.count == capacity else { return .bytes(bytes) }
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while bytes.count <= limit {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return .failed(errno)
        }
        if count == 0 { return .bytes(bytes) }
        bytes += chunk[..<count]
    }
    return .tooLarge
}

/// The C library's message for `errno` value `code`, lower-cased to sit inside a sentence ("no such file or
/// directory").
public func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text).lowercased()
}
