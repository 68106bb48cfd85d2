import COpenSSL

/// The number of bytes in a SHA-256 digest.
public let sha256ByteCount = 32

/// Computes the SHA-256 digest of `bytes` with OpenSSL's EVP digest interface.
///
/// Traps only if libcrypto cannot provide SHA-256 at all (a broken installation or allocation failure), which no
/// input can cause.
///
/// - Parameter bytes: The message.
/// - Returns: The 32-byte digest.
public func sha256(_ bytes: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let succeeded = withNonNullBytes(bytes) { pointer, count in
        EVP_Digest(pointer, count, &digest, &length, EVP_sha256(), nil) == 1
    }
    guard succeeded, Int(length) == sha256ByteCount else {
        fatalError("libcrypto cannot compute SHA-256: \(drainOpenSSLErrors())")
    }
    return Array(digest.prefix(sha256ByteCount))
}
