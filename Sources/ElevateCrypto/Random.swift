import CCrypto

/// Returns `count` cryptographically secure random bytes from OpenSSL's `RAND_bytes`.
///
/// - Parameter count: How many bytes to return; zero gives an empty array.
/// - Throws: ``CryptoError/invalidByteCount(_:)`` for a negative count,
///   ``CryptoError/randomGenerationFailed(detail:)`` if the generator cannot produce bytes,
///   ``CryptoError/libraryUnavailable(detail:)`` if libcrypto cannot be loaded.
public func randomBytes(count: Int) throws(CryptoError) -> [UInt8] {
    guard count >= 0 else { throw .invalidByteCount(count) }
    try requireLibrary()
    var bytes = [UInt8](repeating: 0, count: count)
    let succeeded = bytes.withUnsafeMutableBufferPointer { buffer in
        var offset = 0
        while offset < buffer.count {
            let slice = min(maximumChunk, buffer.count - offset)
            guard ccrypto_rand_bytes(buffer.baseAddress! + offset, Int32(slice)) == 1 else { return false }
            offset += slice
        }
        return true
    }
    guard succeeded else { throw .randomGenerationFailed(detail: drainOpenSSLErrors()) }
    return bytes
}
