import ElevateCrypto

/// Everything that can go wrong while signing with ElevateSigV4.
public enum SigV4Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The signing date cannot be written as a four-digit-year SigV4 timestamp; carries seconds since 1970.
    case dateOutOfRange(secondsSince1970: Double)
    /// The request carries a header this signer refuses to sign, such as `Date` (botocore rewrites it; this signer
    /// always dates requests with `X-Amz-Date`).
    case unsupportedHeader(name: String)
    /// A cryptographic primitive failed.
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case .dateOutOfRange(let seconds):
            "signing date '\(seconds)' (seconds since 1970) is outside the years 0001 to 9999"
        case .unsupportedHeader(let name):
            "unsupported header '\(name)': the signer sets the request date itself with X-Amz-Date"
        case .crypto(let error):
            "signing failed: \(error)"
        }
    }
}
