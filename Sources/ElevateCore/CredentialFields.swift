#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The credential fields of a `credential_process` document (`AccessKeyId`, `SecretAccessKey`, and optionally
/// `SessionToken` and `Expiration`), as botocore reads them: what the `process` source and process plugins both
/// receive from another program.
public struct CredentialFields: Codable, Sendable, Equatable {
    // Optional so that a missing key is reported by name rather than as a decoding error.
    public var AccessKeyId: String?
    public var SecretAccessKey: String?
    public var SessionToken: String?
    public var Expiration: String?

    /// The fields of `credentials`, `Expiration` as RFC 3339 in UTC.
    public init(_ credentials: Credentials) {
        AccessKeyId = credentials.accessKeyId
        SecretAccessKey = credentials.secretAccessKey
        SessionToken = credentials.sessionToken
        Expiration = credentials.expiration.map(Timestamp.format)
    }

    /// The credentials the fields describe, or why they describe none (a reason that never quotes a key or token).
    /// An empty `SessionToken` counts as none; credentials with a token count as a role session, as STS limits
    /// chained role sessions.
    public func credentials() -> Result<Credentials, Invalid> {
        guard let keyId = AccessKeyId, !keyId.isEmpty else {
            return .failure(Invalid("AccessKeyId is missing or empty"))
        }
        guard let secret = SecretAccessKey, !secret.isEmpty else {
            return .failure(Invalid("SecretAccessKey is missing or empty"))
        }
        let token = SessionToken.flatMap { $0.isEmpty ? nil : $0 }
        var expiration: Date?
        if let text = Expiration {
            guard let date = Timestamp.parse(text) else {
                return .failure(Invalid("Expiration \(quotedForMessage(text, limit: 120)) is not an RFC 3339 time"))
            }
            expiration = date
        }
        return .success(
            Credentials(
                accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration,
                origin: token == nil ? .user : .role))
    }

    /// Why fields describe no credentials.
    public struct Invalid: Error, Sendable, Equatable {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
    }
}
