/// Everything that can go wrong in ElevateCrypto.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key had the wrong number of bytes for the algorithm.
    case invalidKeyLength(expected: Int, actual: Int)
    /// A nonce had the wrong number of bytes for the algorithm.
    case invalidNonceLength(expected: Int, actual: Int)
    /// An authentication tag had the wrong number of bytes; truncated tags are refused.
    case invalidTagLength(expected: Int, actual: Int)
    /// A combined sealed box (nonce, ciphertext, tag) was shorter than a nonce and a tag.
    case invalidSealedBoxLength(minimum: Int, actual: Int)
    /// A byte count was negative.
    case invalidByteCount(Int)
    /// The ciphertext, the tag or the associated data did not authenticate under the key.
    case authenticationFailed
    /// The random generator could not produce bytes (for example, it could not be seeded).
    case randomGenerationFailed(detail: String)
    /// libcrypto (OpenSSL 3, loaded on first use) could not be loaded; `detail` says why.
    case libraryUnavailable(detail: String)
    /// An OpenSSL call failed; `operation` names the call, `detail` carries OpenSSL's error queue.
    case openSSL(operation: String, detail: String)

    public var description: String {
        switch self {
        case .invalidKeyLength(let expected, let actual):
            "invalid key length '\(actual)': expected \(expected) bytes"
        case .invalidNonceLength(let expected, let actual):
            "invalid nonce length '\(actual)': expected \(expected) bytes"
        case .invalidTagLength(let expected, let actual):
            "invalid authentication tag length '\(actual)': expected \(expected) bytes"
        case .invalidSealedBoxLength(let minimum, let actual):
            "invalid sealed box length '\(actual)': expected at least \(minimum) bytes"
        case .invalidByteCount(let count):
            "invalid byte count '\(count)': must not be negative"
        case .authenticationFailed:
            "authentication failed: the data, the tag or the associated data was altered, or the key is wrong"
        case .randomGenerationFailed(let detail):
            "random byte generation failed: \(detail)"
        case .libraryUnavailable(let detail):
            "libcrypto (OpenSSL 3) is unavailable: \(detail); install libssl3"
        case .openSSL(let operation, let detail):
            "openssl call '\(operation)' failed: \(detail)"
        }
    }
}
