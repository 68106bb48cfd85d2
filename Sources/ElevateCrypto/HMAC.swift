import CCrypto

/// Computes HMAC-SHA256 of `message` under `key` with OpenSSL's `EVP_MAC` interface.
///
/// - Parameters:
///   - key: The secret key, of any length (including empty).
///   - message: The message to authenticate.
/// - Returns: The 32-byte authentication code.
/// - Throws: ``CryptoError/openSSL(operation:detail:)`` if libcrypto cannot provide HMAC or SHA-256,
///   ``CryptoError/libraryUnavailable(detail:)`` if libcrypto cannot be loaded.
public func hmacSHA256(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
    try requireLibrary()
    guard let mac = ccrypto_mac_fetch("HMAC") else { throw openSSLFailure("EVP_MAC_fetch") }
    defer { ccrypto_mac_free(mac) }
    guard let context = ccrypto_mac_ctx_new(mac) else { throw openSSLFailure("EVP_MAC_CTX_new") }
    defer { ccrypto_mac_ctx_free(context) }

    let initialised = withNonNullBytes(key) { keyPointer, keyCount in
        ccrypto_mac_init_digest(context, keyPointer, keyCount, "SHA256") == 1
    }
    guard initialised else { throw openSSLFailure("EVP_MAC_init") }

    var offset = 0
    let updated = withNonNullBytes(message) { pointer, count in
        while offset < count {
            let slice = min(maximumChunk, count - offset)
            guard ccrypto_mac_update(context, pointer + offset, slice) == 1 else { return false }
            offset += slice
        }
        return true
    }
    guard updated else { throw openSSLFailure("EVP_MAC_update") }

    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length = 0
    guard ccrypto_mac_final(context, &output, &length, output.count) == 1, length == sha256ByteCount else {
        throw openSSLFailure("EVP_MAC_final")
    }
    return Array(output.prefix(length))
}
