@testable import ElevateCrypto
import Testing

@Suite("SHA-256")
struct DigestTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let message: [UInt8]
        let digest: String
        var testDescription: String { name }
    }

    // FIPS 180-2 appendix B examples and the empty message.
    static let vectors: [Vector] = [
        Vector(name: "empty", message: [], digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(
            name: "abc", message: utf8("abc"),
            digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(
            name: "448-bit message",
            message: utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        Vector(
            name: "896-bit message",
            message: utf8(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
            ),
            digest: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        Vector(
            name: "one million 'a'",
            message: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]

    @Test("sha256 matches the FIPS 180-2 known answers", arguments: vectors)
    func knownAnswers(vector: Vector) throws {
        let digest = try sha256(vector.message)
        #expect(digest.count == sha256ByteCount)
        #expect(lowercaseHex(digest) == vector.digest)
    }

    @Test(
        "both of OpenSSL's routes give the FIPS 180-2 known answers",
        arguments: vectors, Implementation.allCases
    )
    func knownAnswersByRoute(vector: Vector, implementation: Implementation) throws {
        #expect(lowercaseHex(try sha256(vector.message, implementation: implementation)) == vector.digest)
    }

    @Test("the direct route serves when libcrypto has it (Debian's does): a cache hit skips the provider set-up")
    func directRouteIsPreferred() throws {
        _ = try sha256([])
        #expect(Implementation.preferred() == .direct)
    }

    @Test("sha256 of messages that differ in one bit differ")
    func oneBitChangesTheDigest() throws {
        var message = utf8("abc")
        let original = try sha256(message)
        message[0] ^= 0x01
        #expect(try sha256(message) != original)
    }
}
