import CCrypto

/// Whether `candidate` equals `secret`, compared with OpenSSL's `CRYPTO_memcmp` so that the time taken does not
/// depend on where the first difference lies.
///
/// The time depends on the length of `secret` only: a candidate of another length is compared against `secret`
/// itself (so the same work is done) and then refused. Callers keep `secret` at a fixed length.
///
/// - Throws: ``CryptoError/libraryUnavailable(detail:)`` if libcrypto cannot be loaded.
public func constantTimeEqual(_ candidate: [UInt8], _ secret: [UInt8]) throws(CryptoError) -> Bool {
    try requireLibrary()
    let sameLength = candidate.count == secret.count
    let compared = sameLength ? candidate : secret
    let differs = withNonNullBytes(compared) { left, count in
        withNonNullBytes(secret) { right, _ in ccrypto_memcmp(left, right, count) }
    }
    return sameLength && differs == 0
}
