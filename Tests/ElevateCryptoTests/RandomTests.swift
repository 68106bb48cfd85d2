import ElevateCrypto
import Testing

@Suite("Random bytes")
struct RandomTests {
    @Test("randomBytes returns exactly the requested number of bytes", arguments: [0, 1, 12, 32, 4096])
    func length(count: Int) throws {
        #expect(try randomBytes(count: count).count == count)
    }

    @Test("randomBytes does not repeat itself")
    func uniqueness() throws {
        var seen = Set<[UInt8]>()
        for _ in 0..<1000 {
            seen.insert(try randomBytes(count: 16))
        }
        #expect(seen.count == 1000)
    }

    @Test("randomBytes uses every byte value over a large sample")
    func coverage() throws {
        // 64 KiB of uniform bytes misses a given value with probability about e^-256.
        let sample = try randomBytes(count: 65_536)
        #expect(Set(sample).count == 256)
    }

    @Test("randomBytes rejects a negative count")
    func negativeCount() {
        #expect(throws: CryptoError.invalidByteCount(-1)) { try randomBytes(count: -1) }
    }
}
