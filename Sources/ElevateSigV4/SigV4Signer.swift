import ElevateCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs requests with AWS Signature Version 4 (header form, `AWS4-HMAC-SHA256`) for one region and service,
/// matching botocore's `SigV4Auth` byte for byte. It implements the rules for services other than S3: paths are
/// normalised and encoded twice, and the payload is always hashed.
public struct SigV4Signer: Sendable, CustomStringConvertible {
    /// The credentials to sign with.
    public var credentials: SigV4Credentials
    /// The region of the endpoint, for example `eu-west-1`.
    public var region: String
    /// The signing name of the service, for example `sts`.
    public var service: String

    private static let algorithm = "AWS4-HMAC-SHA256"
    private static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Hop-by-hop and proxy-managed headers botocore never signs: a proxy may change them in flight.
    private static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Creates a signer.
    public init(credentials: SigV4Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` as of `date`.
    ///
    /// As botocore does, existing `Authorization` and `X-Amz-Date` headers are replaced (so a retried request can be
    /// signed again), and so is `X-Amz-Security-Token` when the credentials carry a token. An `X-Amz-Content-SHA256`
    /// header, if present, is signed as the payload hash instead of hashing the body.
    ///
    /// - Parameters:
    ///   - request: The request to sign.
    ///   - date: The signing time; sub-second precision is dropped.
    /// - Returns: The headers to add and the intermediate strings.
    /// - Throws: ``SigV4Error/dateOutOfRange(secondsSince1970:)``, ``SigV4Error/unsupportedHeader(name:)`` for a `Date`
    ///   header, or ``SigV4Error/crypto(_:)``.
    public func sign(_ request: SigV4Request, date: Date) throws(SigV4Error) -> SigV4Signature {
        guard let timestamp = Timestamp(date) else {
            throw .dateOutOfRange(secondsSince1970: date.timeIntervalSince1970)
        }
        if let dateHeader = request.headers.first(where: { $0.name.lowercased() == "date" }) {
            throw .unsupportedHeader(name: dateHeader.name)
        }

        var replaced: Set<String> = ["authorization", "x-amz-date"]
        var added = [(name: "X-Amz-Date", value: timestamp.dateTime)]
        if let token = credentials.sessionToken {
            replaced.insert("x-amz-security-token")
            added.append((name: "X-Amz-Security-Token", value: token))
        }
        let headers = request.headers.filter { !replaced.contains($0.name.lowercased()) } + added

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers, host: request.host)
        let payloadHash: String
        if let given = headers.first(where: { $0.name.lowercased() == "x-amz-content-sha256" })?.value {
            payloadHash = given
        } else if request.body.isEmpty {
            payloadHash = Self.emptyPayloadHash
        } else {
            do { payloadHash = lowercaseHex(try sha256(request.body)) } catch { throw .crypto(error) }
        }
        let canonicalRequest = [
            Self.asciiUppercased(request.method),
            Encoding.percentEncode(Encoding.normalizedPath(request.path), keepSlash: true),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let credentialScope = "\(timestamp.day)/\(region)/\(service)/aws4_request"
        let signature: String
        let stringToSign: String
        do {
            stringToSign = [
                Self.algorithm, timestamp.dateTime, credentialScope,
                lowercaseHex(try sha256(Array(canonicalRequest.utf8))),
            ].joined(separator: "\n")
            var key = try hmacSHA256(
                key: Array("AWS4\(credentials.secretAccessKey)".utf8), message: Array(timestamp.day.utf8))
            for part in [region, service, "aws4_request"] {
                key = try hmacSHA256(key: key, message: Array(part.utf8))
            }
            signature = lowercaseHex(try hmacSHA256(key: key, message: Array(stringToSign.utf8)))
        } catch {
            throw .crypto(error)
        }

        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(credentialScope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            amzDate: timestamp.dateTime,
            credentialScope: credentialScope,
            signedHeaders: signedHeaders,
            authorization: authorization,
            headers: added + [(name: "Authorization", value: authorization)]
        )
    }

    public var description: String {
        "SigV4Signer(region: \(region), service: \(service), credentials: \(credentials))"
    }

    /// The canonical headers block (each line `name:value`, ending with a newline) and the signed header list.
    private static func canonicalHeaders(
        _ headers: [(name: String, value: String)],
        host: String
    ) -> (block: String, signed: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard !unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(Encoding.trimmedHeaderValue(header.value))
        }
        if values["host"] == nil {
            values["host"] = [Encoding.trimmedHeaderValue(host)]
        }
        let names = values.keys.sorted(by: Encoding.precedes)
        let block = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    /// Parameters encoded, then sorted by encoded name and, for repeated names, by encoded value.
    private static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (name: Encoding.percentEncode($0.name), value: Encoding.percentEncode($0.value)) }
            .sorted {
                $0.name == $1.name ? Encoding.precedes($0.value, $1.value) : Encoding.precedes($0.name, $1.name)
            }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    private static func asciiUppercased(_ string: String) -> String {
        String(decoding: string.utf8.map { (0x61...0x7a).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }
}
