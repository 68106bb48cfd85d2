/// The result of signing: the headers to add to the request, and the intermediate strings for tests and debugging.
public struct SigV4Signature: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The SigV4 canonical request. It holds the session token (in the `x-amz-security-token` line) when there is
    /// one: log ``redactedCanonicalRequest`` instead.
    public let canonicalRequest: String
    /// The string to sign: algorithm, timestamp, credential scope and the hash of the canonical request.
    public let stringToSign: String
    /// The signature, 64 lowercase hex digits.
    public let signature: String
    /// The `X-Amz-Date` value, `YYYYMMDDTHHMMSSZ`.
    public let amzDate: String
    /// The credential scope, `YYYYMMDD/region/service/aws4_request`.
    public let credentialScope: String
    /// The signed header names, lower case, sorted, joined by `;`.
    public let signedHeaders: String
    /// The `Authorization` header value.
    public let authorization: String
    /// The headers to add to the request, in botocore's order: `X-Amz-Date`, `X-Amz-Security-Token` when the
    /// credentials have a session token, `Authorization`.
    public let headers: [(name: String, value: String)]

    /// The canonical request with the session token's value replaced by `<redacted>`.
    public var redactedCanonicalRequest: String {
        let prefix = Array("x-amz-security-token:".utf8)
        return canonicalRequest.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            line in
            line.starts(with: prefix) ? "x-amz-security-token:<redacted>" : String(decoding: line, as: UTF8.self)
        }.joined(separator: "\n")
    }

    public var description: String {
        "SigV4Signature(amzDate: \(amzDate), credentialScope: \(credentialScope), signedHeaders: \(signedHeaders))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["amzDate": amzDate, "credentialScope": credentialScope, "signedHeaders": signedHeaders],
            displayStyle: .struct
        )
    }
}
