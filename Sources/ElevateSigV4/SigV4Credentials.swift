/// The credentials a request is signed with.
///
/// The description and mirror show only the last four characters of the access key id and whether a session token
/// is present: never the secret or the token.
public struct SigV4Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The access key id, for example `AKIA...` or `ASIA...`.
    public var accessKeyId: String
    /// The secret access key.
    public var secretAccessKey: String
    /// The session token of temporary credentials; sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    /// Creates credentials.
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The access key id with all but its last four characters masked, as `****ABCD`.
    public var maskedAccessKeyId: String {
        accessKeyId.count <= 4 ? "****" : "****" + accessKeyId.suffix(4)
    }

    public var description: String {
        let token = sessionToken == nil ? "none" : "<redacted>"
        return
            "SigV4Credentials(accessKeyId: \(maskedAccessKeyId), secretAccessKey: <redacted>, sessionToken: \(token))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["accessKeyId": maskedAccessKeyId, "hasSessionToken": sessionToken != nil],
            displayStyle: .struct
        )
    }
}
