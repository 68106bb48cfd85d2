/// An HTTP request to sign: what the canonical request is built from.
///
/// The description and mirror name the parts but show no header values and no body, since a caller may place a
/// session token or an MFA code there.
public struct SigV4Request: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The HTTP method, for example `POST`; signed in upper case.
    public var method: String
    /// The `Host` header value the HTTP client will send (`sts.eu-west-1.amazonaws.com`, or `localhost:5000` with a
    /// non-default port). Signed unless `headers` already holds a `Host` header, which then wins, as in botocore.
    public var host: String
    /// The URI path as sent on the wire (already percent-encoded, `/` for the Query API). Signing normalises it and
    /// encodes it once more, the SigV4 rule for every service except S3.
    public var path: String
    /// Query parameters, unencoded, in any order; repeated names are allowed.
    public var query: [(name: String, value: String)]
    /// Header fields in order; repeated names are signed as one comma-joined value.
    public var headers: [(name: String, value: String)]
    /// The body bytes; their SHA-256 is signed.
    public var body: [UInt8]

    /// Creates a request to sign.
    public init(
        method: String,
        host: String,
        path: String = "/",
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The content type botocore sends with every Query API (STS) request.
    public static let queryAPIContentType = "application/x-www-form-urlencoded; charset=utf-8"

    /// A Query API request as botocore sends it for STS: `POST /` with the parameters form-url-encoded in the body
    /// (see ``formURLEncode(_:)``) and `Content-Type: application/x-www-form-urlencoded; charset=utf-8`.
    ///
    /// - Parameters:
    ///   - host: The endpoint's host, for example `sts.eu-west-1.amazonaws.com`.
    ///   - parameters: `Action`, `Version`, then the operation's parameters, in the order to send them.
    public static func queryAPIPost(host: String, parameters: [(name: String, value: String)]) -> SigV4Request {
        SigV4Request(
            method: "POST",
            host: host,
            path: "/",
            headers: [("Content-Type", queryAPIContentType)],
            body: Array(formURLEncode(parameters).utf8)
        )
    }

    public var description: String {
        let queryNames = query.map(\.name).joined(separator: ", ")
        let headerNames = headers.map(\.name).joined(separator: ", ")
        return "SigV4Request(\(method) \(host)\(path), query names: [\(queryNames)], "
            + "header names: [\(headerNames)], body: \(body.count) bytes)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": method, "host": host, "path": path, "queryNames": query.map(\.name),
                "headerNames": headers.map(\.name), "bodyByteCount": body.count,
            ],
            displayStyle: .struct
        )
    }
}
