import COpenSSL

/// Computes HMAC-SHA256 of `message` under `key` with OpenSSL's `EVP_MAC` interface.
///
/// - Parameters:
///   - key: The secret key, of any length (including empty).
///   - message: The message to authenticate.
/// - Returns: The 32-byte authentication code.
/// - Throws: ``CryptoError/openSSL(operation:detail:)`` if libcrypto cannot provide HMAC or SHA-256.
public func hmacSHA256(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
    guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw openSSLFailure("EVP_MAC_fetch") }
    defer { EVP_MAC_free(mac) }
    guard let context = EVP_MAC_CTX_new(mac) else { throw openSSLFailure("EVP_MAC_CTX_new") }
    defer { EVP_MAC_CTX_free(context) }

    // OSSL_PARAM stores the name and value pointers, so both must outlive EVP_MAC_init: keep it inside withCString.
    let initialised = OSSL_MAC_PARAM_DIGEST.withCString { name in
        "SHA256".withCString { digest in
            var parameters = [
                OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: digest), 0),
                OSSL_PARAM_construct_end(),
            ]
            return withNonNullBytes(key) { keyPointer, keyCount in
                EVP_MAC_init(context, keyPointer, keyCount, &parameters) == 1
            }
        }
    }
    guard initialised else { throw openSSLFailure("EVP_MAC_init") }

    var offset = 0
    let updated = withNonNullBytes(message) { pointer, count in
        while offset < count {
            let slice = min(maximumChunk, count - offset)
            guard EVP_MAC_update(context, pointer + offset, slice) == 1 else { return false }
            offset += slice
        }
        return true
    }
    guard updated else { throw openSSLFailure("EVP_MAC_update") }

    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length = 0
    guard EVP_MAC_final(context, &output, &length, output.count) == 1, length == sha256ByteCount else {
        throw openSSLFailure("EVP_MAC_final")
    }
    return Array(output.prefix(length))
}
