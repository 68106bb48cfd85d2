import CCrypto

/// AES-256 in Galois/Counter Mode (an authenticated cipher) over OpenSSL's `EVP_CIPHER`.
///
/// Never seal two messages with the same key and nonce: GCM loses both confidentiality and integrity. Let
/// ``seal(_:key:nonce:authenticating:)`` draw a random nonce unless a known-answer test needs a fixed one.
public enum AES256GCM {
    /// Key size in bytes (256 bits).
    public static let keyByteCount = 32
    /// Nonce size in bytes (96 bits, the size GCM is designed for).
    public static let nonceByteCount = 12
    /// Authentication tag size in bytes (128 bits); shorter tags are refused.
    public static let tagByteCount = 16

    /// The output of ``AES256GCM/seal(_:key:nonce:authenticating:)``: a nonce, a ciphertext and a tag.
    public struct SealedBox: Sendable, Equatable {
        /// The 12-byte nonce the message was sealed with.
        public let nonce: [UInt8]
        /// The ciphertext, as long as the plaintext.
        public let ciphertext: [UInt8]
        /// The 16-byte authentication tag.
        public let tag: [UInt8]

        /// Creates a sealed box from its parts.
        ///
        /// - Throws: ``CryptoError/invalidNonceLength(expected:actual:)`` or
        ///   ``CryptoError/invalidTagLength(expected:actual:)`` when a part has the wrong size.
        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws(CryptoError) {
            guard nonce.count == AES256GCM.nonceByteCount else {
                throw .invalidNonceLength(expected: AES256GCM.nonceByteCount, actual: nonce.count)
            }
            guard tag.count == AES256GCM.tagByteCount else {
                throw .invalidTagLength(expected: AES256GCM.tagByteCount, actual: tag.count)
            }
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// Splits the ``combined`` form (nonce, then ciphertext, then tag) back into its parts.
        ///
        /// - Throws: ``CryptoError/invalidSealedBoxLength(minimum:actual:)`` if `combined` is shorter than a nonce
        ///   and a tag.
        public init(combined: [UInt8]) throws(CryptoError) {
            let minimum = AES256GCM.nonceByteCount + AES256GCM.tagByteCount
            guard combined.count >= minimum else {
                throw .invalidSealedBoxLength(minimum: minimum, actual: combined.count)
            }
            let tagStart = combined.count - AES256GCM.tagByteCount
            try self.init(
                nonce: Array(combined[..<AES256GCM.nonceByteCount]),
                ciphertext: Array(combined[AES256GCM.nonceByteCount..<tagStart]),
                tag: Array(combined[tagStart...])
            )
        }

        /// The nonce, the ciphertext and the tag concatenated: one value to store.
        public var combined: [UInt8] { nonce + ciphertext + tag }
    }

    /// Encrypts and authenticates `plaintext`, and authenticates `associatedData` without encrypting it.
    ///
    /// - Parameters:
    ///   - plaintext: The message to encrypt.
    ///   - key: A 32-byte key.
    ///   - nonce: A 12-byte nonce, unique per key; `nil` (the default) draws a random one.
    ///   - associatedData: Data bound to the ciphertext but not encrypted (for example a format version).
    /// - Throws: ``CryptoError`` for a key or nonce of the wrong size, or when OpenSSL fails.
    public static func seal(
        _ plaintext: [UInt8],
        key: [UInt8],
        nonce suppliedNonce: [UInt8]? = nil,
        authenticating associatedData: [UInt8] = []
    ) throws(CryptoError) -> SealedBox {
        try seal(plaintext, key: key, nonce: suppliedNonce, authenticating: associatedData,
                 implementation: .preferred())
    }

    static func seal(
        _ plaintext: [UInt8],
        key: [UInt8],
        nonce suppliedNonce: [UInt8]?,
        authenticating associatedData: [UInt8],
        implementation: Implementation
    ) throws(CryptoError) -> SealedBox {
        let nonce: [UInt8]
        if let suppliedNonce { nonce = suppliedNonce } else { nonce = try randomBytes(count: nonceByteCount) }
        try validate(key: key, nonce: nonce)
        try requireLibrary()
        let cipher = try Cipher(encrypting: true, key: key, nonce: nonce, implementation: implementation)
        try cipher.authenticate(associatedData)
        var ciphertext = try cipher.update(plaintext)
        ciphertext += try cipher.finish(operation: "EVP_EncryptFinal_ex")
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        guard ccrypto_cipher_ctx_ctrl(cipher.context, EVP_CTRL_AEAD_GET_TAG, Int32(tagByteCount), &tag) == 1 else {
            throw openSSLFailure("EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_GET_TAG)")
        }
        return try SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Checks the tag and decrypts: returns the plaintext only if the ciphertext, the tag and `associatedData` are
    /// exactly what was sealed under `key`.
    ///
    /// - Parameters:
    ///   - box: The sealed box.
    ///   - key: The 32-byte key it was sealed with.
    ///   - associatedData: The associated data it was sealed with.
    /// - Throws: ``CryptoError/authenticationFailed`` when anything was altered or the key is wrong; other
    ///   ``CryptoError`` cases for a key of the wrong size or when OpenSSL fails.
    public static func open(
        _ box: SealedBox,
        key: [UInt8],
        authenticating associatedData: [UInt8] = []
    ) throws(CryptoError) -> [UInt8] {
        try open(box, key: key, authenticating: associatedData, implementation: .preferred())
    }

    static func open(
        _ box: SealedBox,
        key: [UInt8],
        authenticating associatedData: [UInt8],
        implementation: Implementation
    ) throws(CryptoError) -> [UInt8] {
        try validate(key: key, nonce: box.nonce)
        try requireLibrary()
        let cipher = try Cipher(encrypting: false, key: key, nonce: box.nonce, implementation: implementation)
        try cipher.authenticate(associatedData)
        var plaintext = try cipher.update(box.ciphertext)
        var tag = box.tag
        guard ccrypto_cipher_ctx_ctrl(cipher.context, EVP_CTRL_AEAD_SET_TAG, Int32(tag.count), &tag) == 1 else {
            throw openSSLFailure("EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_SET_TAG)")
        }
        do {
            plaintext += try cipher.finish(operation: "EVP_DecryptFinal_ex")
        } catch {
            // A failed final step in decryption is the tag check; the unauthenticated plaintext is dropped.
            _ = drainOpenSSLErrors()
            throw .authenticationFailed
        }
        return plaintext
    }

    private static func validate(key: [UInt8], nonce: [UInt8]) throws(CryptoError) {
        guard key.count == keyByteCount else {
            throw .invalidKeyLength(expected: keyByteCount, actual: key.count)
        }
        guard nonce.count == nonceByteCount else {
            throw .invalidNonceLength(expected: nonceByteCount, actual: nonce.count)
        }
    }
}

/// One initialised `EVP_CIPHER_CTX` for AES-256-GCM; frees itself.
private final class Cipher {
    let context: OpaquePointer
    private let encrypting: Bool

    init(encrypting: Bool, key: [UInt8], nonce: [UInt8], implementation: Implementation) throws(CryptoError) {
        let algorithm: OpaquePointer
        var fetched: OpaquePointer?
        defer { ccrypto_cipher_free(fetched) }
        switch implementation {
        case .direct:
            guard let direct = ccrypto_direct_aes_256_gcm() else {
                throw openSSLFailure("EVP_CIPHER_meth_dup(EVP_aes_256_gcm())")
            }
            algorithm = direct
        case .provider:
            guard let provided = ccrypto_cipher_fetch("AES-256-GCM") else {
                throw openSSLFailure("EVP_CIPHER_fetch(AES-256-GCM)")
            }
            fetched = provided
            algorithm = provided
        }
        guard let context = ccrypto_cipher_ctx_new() else { throw openSSLFailure("EVP_CIPHER_CTX_new") }
        self.context = context
        self.encrypting = encrypting
        let initialised =
            encrypting
            ? ccrypto_encrypt_init(context, algorithm, key, nonce)
            : ccrypto_decrypt_init(context, algorithm, key, nonce)
        guard initialised == 1 else {
            throw openSSLFailure(encrypting ? "EVP_EncryptInit_ex2" : "EVP_DecryptInit_ex2")
        }
    }

    deinit { ccrypto_cipher_ctx_free(context) }

    func authenticate(_ associatedData: [UInt8]) throws(CryptoError) {
        _ = try feed(associatedData, into: nil)
    }

    func update(_ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count)
        let written = try output.withUnsafeMutableBufferPointer { buffer throws(CryptoError) in
            try feed(input, into: buffer.baseAddress)
        }
        return Array(output.prefix(written))
    }

    func finish(operation: String) throws(CryptoError) -> [UInt8] {
        // GCM writes nothing here, but OpenSSL may use up to one block of the output buffer for any cipher.
        var output = [UInt8](repeating: 0, count: 32)
        var written: Int32 = 0
        let result =
            encrypting
            ? ccrypto_encrypt_final(context, &output, &written)
            : ccrypto_decrypt_final(context, &output, &written)
        guard result == 1 else { throw openSSLFailure(operation) }
        return Array(output.prefix(Int(written)))
    }

    /// Feeds `input` in slices that fit OpenSSL's `int` lengths; a nil `output` feeds associated data.
    private func feed(_ input: [UInt8], into output: UnsafeMutablePointer<UInt8>?) throws(CryptoError) -> Int {
        guard !input.isEmpty else { return 0 }
        let operation = encrypting ? "EVP_EncryptUpdate" : "EVP_DecryptUpdate"
        let total: Int? = input.withUnsafeBufferPointer { buffer in
            var consumed = 0
            var produced = 0
            while consumed < buffer.count {
                let slice = min(maximumChunk, buffer.count - consumed)
                var written: Int32 = 0
                let target = output.map { $0 + produced }
                let result =
                    encrypting
                    ? ccrypto_encrypt_update(context, target, &written, buffer.baseAddress! + consumed, Int32(slice))
                    : ccrypto_decrypt_update(context, target, &written, buffer.baseAddress! + consumed, Int32(slice))
                guard result == 1 else { return nil }
                consumed += slice
                produced += Int(written)
            }
            return produced
        }
        guard let total else { throw openSSLFailure(operation) }
        return total
    }
}
