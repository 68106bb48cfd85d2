/// An HTTP request method.
public struct HTTPMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The method token, such as `GET`.
    public let rawValue: String

    /// Creates a method from its token; ``HTTPClient`` rejects tokens that are not RFC 9110 tokens.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `GET`.
    public static let get = HTTPMethod(rawValue: "GET")
    /// `HEAD`: the response has no body.
    public static let head = HTTPMethod(rawValue: "HEAD")
    /// `POST`.
    public static let post = HTTPMethod(rawValue: "POST")
    /// `PUT`.
    public static let put = HTTPMethod(rawValue: "PUT")
    /// `DELETE`.
    public static let delete = HTTPMethod(rawValue: "DELETE")

    public var description: String { rawValue }
}

/// An HTTP request: method, absolute `http` or `https` URL, header fields and body bytes.
///
/// Its `description` and mirror show the method and host only, never the headers or the body: they carry
/// signatures, tokens and secrets.
public struct HTTPRequest: Sendable, Equatable {
    /// The method.
    public var method: HTTPMethod
    /// The absolute URL, `http://` or `https://`.
    public var url: String
    /// The header fields to send, in order. ``HTTPClient`` adds `Host` and, with a body, `Content-Length`;
    /// it sends no `Content-Type`, `User-Agent` or `Expect` of its own.
    public var headers: HTTPHeaders
    /// The body bytes. Methods other than `GET` and `HEAD` always send one, with `Content-Length`
    /// (0 when empty); a `GET` sends one only when it is not empty; a `HEAD` must have none.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

extension HTTPRequest: CustomStringConvertible, CustomReflectable {
    /// The method and the URL's host, such as `POST sts.amazonaws.com`.
    public var description: String {
        "\(method) \(URLParts(url).hostAndPort)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["method": method, "host": URLParts(url).hostAndPort], displayStyle: .struct)
    }
}

/// The pieces of an absolute URL that the client checks and may name in messages.
struct URLParts {
    /// `http` or `https` in lower case, or nil for any other or no scheme.
    let scheme: String?
    /// The authority without user information: `host` or `host:port`.
    let hostAndPort: String

    init(_ url: String) {
        let bytes = Array(url.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
              bytes[colon...].starts(with: "://".utf8)
        else {
            scheme = nil
            hostAndPort = ""
            return
        }
        let name = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        scheme = (name == "http" || name == "https") ? name : nil
        let authorityStart = colon + 3
        let authorityEnd = bytes[authorityStart...].firstIndex {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        } ?? bytes.endIndex
        var authority = bytes[authorityStart..<authorityEnd]
        // User information may hold a password: never keep it.
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            authority = authority[(at + 1)...]
        }
        hostAndPort = String(decoding: authority, as: UTF8.self)
    }
}
