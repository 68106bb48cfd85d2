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

@Suite("SHA-1")
struct SHA1Tests {
    @Test(
        "sha1 matches the FIPS 180-1 known answers and the AWS CLI's SSO cache names",
        arguments: [
            ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
            // botocore's SSOTokenLoader key for the session name "my-sso" (hashlib.sha1(b"my-sso").hexdigest()).
            ("my-sso", "0ad374308c5a4e22f723adf10145eafad7c4031c"),
        ])
    func knownAnswers(message: String, digest: String) throws {
        let result = try sha1(Array(message.utf8))
        #expect(result.count == sha1ByteCount)
        #expect(lowercaseHex(result) == digest)
    }

    @Test("sha1 of a million 'a's")
    func million() throws {
        let digest = try sha1([UInt8](repeating: 0x61, count: 1_000_000))
        #expect(lowercaseHex(digest) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
