@testable import ElevateCrypto
import Testing

@Suite("AES-256-GCM")
struct AES256GCMTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: String
        let nonce: String
        let plaintext: String
        let associatedData: String
        let ciphertext: String
        let tag: String
        var testDescription: String { name }
    }

    // McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13 to 16 (256-bit keys).
    static let galoisKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let galoisPlaintext =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    static let galoisCiphertext =
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
    static let vectors: [Vector] = [
        Vector(
            name: "test case 13 (empty plaintext)", key: String(repeating: "00", count: 32),
            nonce: String(repeating: "00", count: 12), plaintext: "", associatedData: "", ciphertext: "",
            tag: "530f8afbc74536b9a963b4f1c4cb738b"
        ),
        Vector(
            name: "test case 14 (one zero block)", key: String(repeating: "00", count: 32),
            nonce: String(repeating: "00", count: 12), plaintext: String(repeating: "00", count: 16),
            associatedData: "",
            ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"
        ),
        Vector(
            name: "test case 15 (four blocks)", key: galoisKey, nonce: "cafebabefacedbaddecaf888",
            plaintext: galoisPlaintext, associatedData: "", ciphertext: galoisCiphertext,
            tag: "b094dac5d93471bdec1a502270e3cc6c"
        ),
        Vector(
            name: "test case 16 (partial block and associated data)", key: galoisKey, nonce: "cafebabefacedbaddecaf888",
            plaintext: String(galoisPlaintext.prefix(120)), associatedData: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            ciphertext: String(galoisCiphertext.prefix(120)), tag: "76fc6ece0f4e1768cddf8853bb2d551b"
        ),
    ]

    @Test("seal matches the McGrew-Viega known answers", arguments: vectors)
    func sealKnownAnswers(vector: Vector) throws {
        let box = try AES256GCM.seal(
            bytes(hex: vector.plaintext), key: bytes(hex: vector.key), nonce: bytes(hex: vector.nonce),
            authenticating: bytes(hex: vector.associatedData)
        )
        #expect(lowercaseHex(box.ciphertext) == vector.ciphertext)
        #expect(lowercaseHex(box.tag) == vector.tag)
        #expect(lowercaseHex(box.nonce) == vector.nonce)
    }

    @Test("open recovers the McGrew-Viega plaintexts", arguments: vectors)
    func openKnownAnswers(vector: Vector) throws {
        let box = try AES256GCM.SealedBox(
            nonce: bytes(hex: vector.nonce), ciphertext: bytes(hex: vector.ciphertext), tag: bytes(hex: vector.tag)
        )
        let plaintext = try AES256GCM.open(
            box, key: bytes(hex: vector.key), authenticating: bytes(hex: vector.associatedData)
        )
        #expect(lowercaseHex(plaintext) == vector.plaintext)
    }

    @Test("both of OpenSSL's routes give the McGrew-Viega known answers", arguments: vectors, Implementation.allCases)
    func knownAnswersByRoute(vector: Vector, implementation: Implementation) throws {
        let key = try bytes(hex: vector.key)
        let associatedData = try bytes(hex: vector.associatedData)
        let box = try AES256GCM.seal(
            bytes(hex: vector.plaintext), key: key, nonce: bytes(hex: vector.nonce), authenticating: associatedData,
            implementation: implementation
        )
        #expect(lowercaseHex(box.ciphertext) == vector.ciphertext)
        #expect(lowercaseHex(box.tag) == vector.tag)
        let plaintext = try AES256GCM.open(box, key: key, authenticating: associatedData, implementation: implementation)
        #expect(lowercaseHex(plaintext) == vector.plaintext)
    }

    @Test("what one route seals the other opens, and both refuse a forged tag", arguments: [0, 17, 4096])
    func routesInteroperate(length: Int) throws {
        let key = try randomBytes(count: AES256GCM.keyByteCount)
        let plaintext = try randomBytes(count: length)
        let associatedData = utf8("v1-entry")
        for (sealer, opener) in [(Implementation.direct, Implementation.provider), (.provider, .direct)] {
            let box = try AES256GCM.seal(
                plaintext, key: key, nonce: nil, authenticating: associatedData, implementation: sealer
            )
            #expect(try AES256GCM.open(box, key: key, authenticating: associatedData, implementation: opener) == plaintext)
            var tag = box.tag
            tag[0] ^= 0x80
            let forged = try AES256GCM.SealedBox(nonce: box.nonce, ciphertext: box.ciphertext, tag: tag)
            #expect(throws: CryptoError.authenticationFailed) {
                try AES256GCM.open(forged, key: key, authenticating: associatedData, implementation: opener)
            }
        }
    }

    @Test("seal then open returns the plaintext", arguments: [0, 1, 15, 16, 17, 1000, 1 << 20])
    func roundTrip(length: Int) throws {
        let key = try randomBytes(count: AES256GCM.keyByteCount)
        let plaintext = try randomBytes(count: length)
        let associatedData = utf8("aws-elevate cache v1")
        let box = try AES256GCM.seal(plaintext, key: key, authenticating: associatedData)
        #expect(box.ciphertext.count == length)
        #expect(box.nonce.count == AES256GCM.nonceByteCount)
        #expect(box.tag.count == AES256GCM.tagByteCount)
        if length >= 16 { #expect(box.ciphertext != plaintext) }
        #expect(try AES256GCM.open(box, key: key, authenticating: associatedData) == plaintext)
    }

    @Test("the combined form round-trips")
    func combined() throws {
        let key = try randomBytes(count: 32)
        let box = try AES256GCM.seal(utf8("secret"), key: key)
        let restored = try AES256GCM.SealedBox(combined: box.combined)
        #expect(restored == box)
        #expect(box.combined.count == 12 + 6 + 16)
        #expect(try AES256GCM.open(restored, key: key) == utf8("secret"))
    }

    @Test("a combined form shorter than nonce and tag is refused", arguments: [0, 1, 27])
    func combinedTooShort(length: Int) {
        #expect(throws: CryptoError.invalidSealedBoxLength(minimum: 28, actual: length)) {
            try AES256GCM.SealedBox(combined: [UInt8](repeating: 0, count: length))
        }
    }

    @Test("two seals of the same message use different random nonces")
    func freshNonces() throws {
        let key = try randomBytes(count: 32)
        let first = try AES256GCM.seal(utf8("same"), key: key)
        let second = try AES256GCM.seal(utf8("same"), key: key)
        #expect(first.nonce != second.nonce)
        #expect(first.ciphertext != second.ciphertext)
    }

    enum Tamper: String, CaseIterable, Sendable {
        case ciphertextFirstBit, ciphertextLastBit, tagFirstBit, tagLastBit, associatedData, nonce, key
        case missingAssociatedData, extraAssociatedData
    }

    @Test("open fails cleanly when anything was altered", arguments: Tamper.allCases)
    func tampering(tamper: Tamper) throws {
        var key = try randomBytes(count: 32)
        var associatedData = utf8("header")
        let sealed = try AES256GCM.seal(utf8("the quick brown fox"), key: key, authenticating: associatedData)
        var nonce = sealed.nonce
        var ciphertext = sealed.ciphertext
        var tag = sealed.tag
        switch tamper {
        case .ciphertextFirstBit: ciphertext[0] ^= 0x01
        case .ciphertextLastBit: ciphertext[ciphertext.count - 1] ^= 0x80
        case .tagFirstBit: tag[0] ^= 0x01
        case .tagLastBit: tag[15] ^= 0x80
        case .associatedData: associatedData[0] ^= 0x20
        case .nonce: nonce[11] ^= 0x01
        case .key: key[31] ^= 0x01
        case .missingAssociatedData: associatedData = []
        case .extraAssociatedData: associatedData += [0]
        }
        let box = try AES256GCM.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
        #expect(throws: CryptoError.authenticationFailed) {
            try AES256GCM.open(box, key: key, authenticating: associatedData)
        }
    }

    @Test("a failed open leaves OpenSSL usable for the next open")
    func recoveryAfterFailure() throws {
        let key = try randomBytes(count: 32)
        let sealed = try AES256GCM.seal(utf8("payload"), key: key)
        var badTag = sealed.tag
        badTag[0] ^= 0xff
        let forged = try AES256GCM.SealedBox(nonce: sealed.nonce, ciphertext: sealed.ciphertext, tag: badTag)
        #expect(throws: CryptoError.authenticationFailed) { try AES256GCM.open(forged, key: key) }
        #expect(try AES256GCM.open(sealed, key: key) == utf8("payload"))
    }

    @Test("keys of the wrong size are refused", arguments: [0, 16, 24, 31, 33])
    func wrongKeySize(size: Int) {
        let key = [UInt8](repeating: 1, count: size)
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: size)) {
            try AES256GCM.seal([1, 2, 3], key: key)
        }
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: size)) {
            let box = try AES256GCM.SealedBox(
                nonce: .init(repeating: 0, count: 12), ciphertext: [], tag: .init(repeating: 0, count: 16))
            return try AES256GCM.open(box, key: key)
        }
    }

    @Test("nonces of the wrong size are refused", arguments: [0, 8, 11, 13, 16])
    func wrongNonceSize(size: Int) {
        let nonce = [UInt8](repeating: 1, count: size)
        #expect(throws: CryptoError.invalidNonceLength(expected: 12, actual: size)) {
            try AES256GCM.seal([1], key: .init(repeating: 0, count: 32), nonce: nonce)
        }
        #expect(throws: CryptoError.invalidNonceLength(expected: 12, actual: size)) {
            try AES256GCM.SealedBox(nonce: nonce, ciphertext: [], tag: .init(repeating: 0, count: 16))
        }
    }

    @Test("truncated or oversized tags are refused", arguments: [0, 4, 12, 15, 17])
    func wrongTagSize(size: Int) {
        #expect(throws: CryptoError.invalidTagLength(expected: 16, actual: size)) {
            try AES256GCM.SealedBox(
                nonce: .init(repeating: 0, count: 12), ciphertext: [1], tag: .init(repeating: 0, count: size))
        }
    }
}
