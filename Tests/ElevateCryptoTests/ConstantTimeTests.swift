import ElevateCrypto
import Testing

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test("equal byte strings compare equal, including empty ones")
    func equal() throws {
        #expect(try constantTimeEqual(Array("token-123".utf8), Array("token-123".utf8)))
        #expect(try constantTimeEqual([], []))
    }

    @Test("a difference in the first, a middle or the last byte is found")
    func differences() throws {
        let secret: [UInt8] = Array(repeating: 0x41, count: 64)
        for index in [0, 31, 63] {
            var candidate = secret
            candidate[index] ^= 0x01
            #expect(try !constantTimeEqual(candidate, secret))
        }
    }

    @Test("a prefix, an extension or an empty candidate of the secret is refused")
    func lengths() throws {
        let secret = Array("abcdef".utf8)
        #expect(try !constantTimeEqual(Array("abc".utf8), secret))
        #expect(try !constantTimeEqual(Array("abcdefg".utf8), secret))
        #expect(try !constantTimeEqual([], secret))
        #expect(try !constantTimeEqual(secret, []))
    }

    @Test("bytes that are not UTF-8 and NUL bytes are compared as bytes")
    func rawBytes() throws {
        #expect(try constantTimeEqual([0, 0xFF, 0x80], [0, 0xFF, 0x80]))
        #expect(try !constantTimeEqual([0, 0xFF, 0x80], [0, 0xFF, 0x81]))
    }
}
