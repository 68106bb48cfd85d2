import CCrypto

/// The number of bytes in a SHA-256 digest.
public let sha256ByteCount = 32

/// Computes the SHA-256 digest of `bytes` with OpenSSL (its direct implementation when it has one, else the EVP
/// digest interface).
///
/// - Parameter bytes: The message.
/// - Returns: The 32-byte digest.
/// - Throws: ``CryptoError/libraryUnavailable(detail:)`` if libcrypto cannot be loaded,
///   ``CryptoError/openSSL(operation:detail:)`` if it cannot compute SHA-256 (a broken installation or an
///   allocation failure), which no input can cause.
public func sha256(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
    try sha256(bytes, implementation: .preferred())
}

func sha256(_ bytes: [UInt8], implementation: Implementation) throws(CryptoError) -> [UInt8] {
    try requireLibrary()
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let succeeded = withNonNullBytes(bytes) { pointer, count in
        ccrypto_digest_sha256(pointer, count, &digest, &length, implementation == .direct ? 1 : 0) == 1
    }
    guard succeeded, Int(length) == sha256ByteCount else { throw openSSLFailure("EVP_Digest(SHA-256)") }
    return Array(digest.prefix(sha256ByteCount))
}

/// The number of bytes in a SHA-1 digest.
public let sha1ByteCount = 20

/// Computes the SHA-1 digest of `bytes` with OpenSSL's EVP digest interface.
///
/// Not for security: SHA-1 is only here because other tools name files with it (the AWS CLI's SSO token cache,
/// `~/.aws/sso/cache/<sha1 hex>.json`), and finding those files needs the same name.
///
/// - Parameter bytes: The message.
/// - Returns: The 20-byte digest.
/// - Throws: ``CryptoError/libraryUnavailable(detail:)`` if libcrypto cannot be loaded,
///   ``CryptoError/openSSL(operation:detail:)`` if it cannot compute SHA-1 (a broken installation, or a libcrypto
///   whose configuration forbids SHA-1), which no input can cause.
public func sha1(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
    try requireLibrary()
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let succeeded = withNonNullBytes(bytes) { pointer, count in
        ccrypto_digest_sha1(pointer, count, &digest, &length) == 1
    }
    guard succeeded, Int(length) == sha1ByteCount else { throw openSSLFailure("EVP_Digest(SHA-1)") }
    return Array(digest.prefix(sha1ByteCount))
}
