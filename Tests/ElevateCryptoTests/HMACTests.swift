import ElevateCrypto
import Testing

@Suite("HMAC-SHA256")
struct HMACTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let message: [UInt8]
        /// Case 5 publishes only the first 128 bits.
        let expectedPrefix: String
        var testDescription: String { name }
    }

    // RFC 4231 section 4, HMAC-SHA-256 results.
    static let vectors: [Vector] = [
        Vector(
            name: "RFC 4231 case 1",
            key: [UInt8](repeating: 0x0b, count: 20),
            message: utf8("Hi There"),
            expectedPrefix: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        Vector(
            name: "RFC 4231 case 2 (short key)",
            key: utf8("Jefe"),
            message: utf8("what do ya want for nothing?"),
            expectedPrefix: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        Vector(
            name: "RFC 4231 case 3",
            key: [UInt8](repeating: 0xaa, count: 20),
            message: [UInt8](repeating: 0xdd, count: 50),
            expectedPrefix: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        Vector(
            name: "RFC 4231 case 4",
            key: Array(1...25),
            message: [UInt8](repeating: 0xcd, count: 50),
            expectedPrefix: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        Vector(
            name: "RFC 4231 case 5 (truncated output)",
            key: [UInt8](repeating: 0x0c, count: 20),
            message: utf8("Test With Truncation"),
            expectedPrefix: "a3b6167473100ee06e0c796c2955552b"
        ),
        Vector(
            name: "RFC 4231 case 6 (key longer than a block)",
            key: [UInt8](repeating: 0xaa, count: 131),
            message: utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
            expectedPrefix: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        Vector(
            name: "RFC 4231 case 7 (key and data longer than a block)",
            key: [UInt8](repeating: 0xaa, count: 131),
            message: utf8(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
            ),
            expectedPrefix: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    @Test("hmacSHA256 matches the RFC 4231 known answers", arguments: vectors)
    func knownAnswers(vector: Vector) throws {
        let mac = try hmacSHA256(key: vector.key, message: vector.message)
        #expect(mac.count == 32)
        #expect(lowercaseHex(mac).hasPrefix(vector.expectedPrefix))
    }

    @Test("hmacSHA256 accepts an empty key and an empty message")
    func emptyKeyAndMessage() throws {
        // Cross-checked with Python's hmac module.
        let mac = try hmacSHA256(key: [], message: [])
        #expect(lowercaseHex(mac) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test("hmacSHA256 depends on the key")
    func keyMatters() throws {
        let message = utf8("message")
        #expect(
            try hmacSHA256(key: utf8("key-a"), message: message) != hmacSHA256(key: utf8("key-b"), message: message))
    }
}
