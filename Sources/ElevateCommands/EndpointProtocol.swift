#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore
import ElevateCrypto

/// The HTTP/1.1 side of the `exec --server` endpoint as functions of bytes: request parsing, the decision, the
/// response. Strict on purpose: the only legitimate client is an AWS SDK polling one path with one header.
enum EndpointProtocol {
    /// The most bytes a request head may take; SDK requests are a few hundred.
    static let maximumRequestSize = 8 * 1024

    /// A parsed request head.
    struct Request: Equatable {
        var method: [UInt8]
        var target: [UInt8]
        /// Header names lower-cased, values with the surrounding blanks removed; in order.
        var headers: [(name: String, value: [UInt8])]

        static func == (left: Request, right: Request) -> Bool {
            left.method == right.method && left.target == right.target
                && left.headers.elementsEqual(right.headers) { $0.name == $1.name && $0.value == $1.value }
        }

        /// The values of every header named `name` (lower case).
        func values(_ name: String) -> [[UInt8]] {
            headers.filter { $0.name == name }.map(\.value)
        }
    }

    /// What the bytes received so far amount to.
    enum Parse: Equatable {
        /// The head has not ended yet and may still grow.
        case incomplete
        /// The head is complete and well formed.
        case request(Request)
        /// Not a request this endpoint serves: answer `status` and close.
        case refused(status: Int, reason: String)
    }

    /// Parses `bytes`, everything received on a connection so far.
    static func parse(_ bytes: [UInt8]) -> Parse {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard let end = firstRange(of: terminator, in: bytes) else {
            if bytes.count >= maximumRequestSize { return .refused(status: 431, reason: "request head too large") }
            return .incomplete
        }
        if end + terminator.count > maximumRequestSize {
            return .refused(status: 431, reason: "request head too large")
        }
        if end + terminator.count != bytes.count { return .refused(status: 400, reason: "unexpected body") }
        let lines = splitLines(Array(bytes[..<end]))
        guard let first = lines.first else { return .refused(status: 400, reason: "malformed request line") }
        let parts = first.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte), !parts[1].isEmpty,
            parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return .refused(status: 400, reason: "malformed request line") }
        guard parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8) else {
            return .refused(status: 505, reason: "HTTP version not supported")
        }
        var headers: [(name: String, value: [UInt8])] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                line[..<colon].allSatisfy(isTokenByte)
            else { return .refused(status: 400, reason: "malformed header") }
            let value = trimBlanks(Array(line[(colon + 1)...]))
            guard value.allSatisfy({ $0 == 9 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                return .refused(status: 400, reason: "malformed header")
            }
            let name = String(decoding: line[..<colon].map(lowercased), as: UTF8.self)
            headers.append((name, value))
        }
        let request = Request(method: Array(parts[0]), target: Array(parts[1]), headers: headers)
        // A body would have to be read and would make the head end ambiguous: GET has none.
        if !request.values("transfer-encoding").isEmpty
            || request.values("content-length").contains(where: { !$0.elementsEqual("0".utf8) })
        {
            return .refused(status: 400, reason: "unexpected body")
        }
        return .request(request)
    }

    /// What the endpoint answers to a well-formed request.
    enum Decision: Equatable {
        /// Serve the credentials.
        case serve
        case refuse(status: Int, reason: String)
    }

    /// The checks, in order: the Host header (a page in a browser reached through DNS rebinding names another
    /// host), the token, the method, the path.
    static func decide(_ request: Request, host: [UInt8], path: [UInt8], token: [UInt8]) throws(CryptoError)
        -> Decision
    {
        let hosts = request.values("host")
        guard hosts.count == 1, hosts[0] == host else { return .refuse(status: 403, reason: "host not allowed") }
        let authorizations = request.values("authorization")
        guard !authorizations.isEmpty else { return .refuse(status: 401, reason: "authorization required") }
        guard authorizations.count == 1, try constantTimeEqual(authorizations[0], token) else {
            return .refuse(status: 403, reason: "authorization refused")
        }
        guard request.method.elementsEqual("GET".utf8) else {
            return .refuse(status: 405, reason: "method not allowed")
        }
        guard request.target == path else { return .refuse(status: 404, reason: "not found") }
        return .serve
    }

    /// The full HTTP response: status line, headers, JSON body; the connection is closed after it.
    static func response(status: Int, body: String) -> [UInt8] {
        let bytes = Array(body.utf8)
        let head =
            "HTTP/1.1 \(status) \(reasonPhrase(status))\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(bytes.count)\r\nCache-Control: no-store\r\nConnection: close\r\n"
            + (status == 405 ? "Allow: GET\r\n" : "") + "\r\n"
        return Array(head.utf8) + bytes
    }

    /// The container credentials document (botocore's ContainerProvider reads these four fields).
    static func credentialsBody(_ credentials: Credentials, token: String, expiration: Date) -> String {
        "{"
            + join(
                [
                    "\"AccessKeyId\": " + CredentialDocument.quote(credentials.accessKeyId),
                    "\"SecretAccessKey\": " + CredentialDocument.quote(credentials.secretAccessKey),
                    "\"Token\": " + CredentialDocument.quote(token),
                    "\"Expiration\": " + CredentialDocument.quote(Timestamp.format(expiration)),
                ], separator: ", ") + "}\n"
    }

    /// An error document; `message` must carry no secret.
    static func errorBody(code: String, message: String) -> String {
        "{\"code\": " + CredentialDocument.quote(code) + ", \"message\": " + CredentialDocument.quote(message) + "}\n"
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Error"
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func trimBlanks(_ bytes: [UInt8]) -> [UInt8] {
        let blank: (UInt8) -> Bool = { $0 == 32 || $0 == 9 }
        guard let start = bytes.firstIndex(where: { !blank($0) }) else { return [] }
        let end = bytes.lastIndex(where: { !blank($0) })!
        return Array(bytes[start...end])
    }

    /// Lines split at CR LF only; a bare CR or LF inside a line is refused by the byte checks of the caller.
    private static func splitLines(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 13 && bytes[index + 1] == 10 {
                lines.append(Array(bytes[start..<index]))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        lines.append(Array(bytes[start...]))
        return lines
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
