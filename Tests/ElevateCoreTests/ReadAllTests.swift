import ElevateCore
import Foundation
import Testing

@Suite("readAll")
struct ReadAllTests {
    /// A pipe holding `bytes`, its write end closed; returns the read end.
    func pipe(holding bytes: [UInt8]) throws -> Int32 {
        var ends: [Int32] = [0, 0]
        try #require(Glibc.pipe(&ends) == 0)
        // Pipes hold 64 KiB by default: enough for these cases.
        try #require(writeAll(fd: ends[1], bytes))
        close(ends[1])
        return ends[0]
    }

    @Test("reads exactly the bytes, whether the hint is right, too small or too large",
          arguments: [(100, 100), (100, 0), (100, 7), (100, 5000), (0, 0), (40_000, 10)])
    func hints(size: Int, hint: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let fd = try pipe(holding: bytes)
        defer { close(fd) }
        #expect(readAll(fd: fd, sizeHint: hint, limit: 50_000) == .bytes(bytes))
    }

    @Test("more than the limit is too large, even when the hint said less", arguments: [0, 100, 1000])
    func limit(hint: Int) throws {
        let fd = try pipe(holding: [UInt8](repeating: 7, count: 1001))
        defer { close(fd) }
        #expect(readAll(fd: fd, sizeHint: hint, limit: 1000) == .tooLarge)
    }

    @Test("exactly the limit is read")
    func exactlyTheLimit() throws {
        let fd = try pipe(holding: [UInt8](repeating: 7, count: 1000))
        defer { close(fd) }
        #expect(readAll(fd: fd, sizeHint: 0, limit: 1000) == .bytes([UInt8](repeating: 7, count: 1000)))
    }

    @Test("a read error is reported with its errno")
    func failure() {
        #expect(readAll(fd: -1, sizeHint: 10, limit: 100) == .failed(EBADF))
    }
}
