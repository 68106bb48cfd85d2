import ElevateCore

/// Where the `ecs` source fetches credentials and how it authorizes the request, read from the environment as
/// botocore's `ContainerProvider` reads it.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (a path on `http://169.254.170.2`) wins over
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`. A full URI must be `https://`, or `http://` to a loopback address
/// (127.0.0.0/8, `::1`), `localhost`, the ECS address 169.254.170.2 or the EKS Pod Identity addresses
/// 169.254.170.23 and `fd00:ec2::23` (botocore's `ContainerMetadataFetcher`). The request carries
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`'s content, else `AWS_CONTAINER_AUTHORIZATION_TOKEN`, as its
/// `Authorization` header; the file is read on every fetch, since its owner rotates it.
public struct ECSSettings: Sendable, Equatable {
    /// Where the token comes from.
    public enum Authorization: Sendable, Equatable {
        /// No `Authorization` header.
        case none
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`: the token itself, checked.
        case token(String)
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`: a file read on every fetch.
        case file(path: String)
    }

    public static let relativeVariable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
    public static let fullVariable = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    public static let tokenVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
    public static let tokenFileVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"

    /// The ECS agent's address, where a relative URI points.
    public static let ecsHost = "169.254.170.2"
    /// The hosts a plain `http://` full URI may name besides loopback addresses, compared as botocore compares them
    /// (the host in lower case, as written).
    public static let allowedHosts = [ecsHost, "169.254.170.23", "fd00:ec2::23", "localhost"]
    /// The longest URI accepted.
    static let maximumLength = 2048

    /// The full URL requested.
    public var url: String
    /// `scheme://host[:port]` of ``url``, the only part messages show: an ECS relative URI is a capability.
    public var endpoint: String
    /// The variable the URL came from.
    public var variable: String
    public var authorization: Authorization

    /// The settings in `environment`; ``ECSSourceError/notConfigured`` when neither URI variable is set.
    public init(environment: [String: String]) throws(ECSSourceError) {
        if let relative = environment[Self.relativeVariable] {
            guard !relative.isEmpty else { throw .invalidURI(variable: Self.relativeVariable, reason: "it is empty") }
            guard relative.utf8.first == UInt8(ascii: "/") else {
                throw .invalidURI(variable: Self.relativeVariable, reason: "it does not start with '/'")
            }
            try Self.checkCharacters(relative, variable: Self.relativeVariable)
            url = "http://" + Self.ecsHost + relative
            endpoint = "http://" + Self.ecsHost
            variable = Self.relativeVariable
        } else if let full = environment[Self.fullVariable] {
            let parts = try Self.parse(full, variable: Self.fullVariable)
            if !parts.https && !Self.isAllowedPlainHost(parts.host) {
                throw .hostNotAllowed(host: parts.host)
            }
            url = full
            endpoint = parts.endpoint
            variable = Self.fullVariable
        } else {
            throw .notConfigured
        }

        // botocore tests for the variables being set, not for their values: the file wins even when empty.
        if let path = environment[Self.tokenFileVariable] {
            guard !path.isEmpty, !path.utf8.contains(0) else {
                throw .invalidTokenFile(path: path, reason: "the path is empty")
            }
            authorization = .file(path: path)
        } else if let token = environment[Self.tokenVariable] {
            try Self.checkToken(token, from: Self.tokenVariable)
            authorization = .token(token)
        } else {
            authorization = .none
        }
    }

    /// A token must be one header value: botocore refuses CR and LF, and our HTTP layer every other control byte.
    static func checkToken(_ token: String, from origin: String) throws(ECSSourceError) {
        guard token.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .invalidToken(origin: origin)
        }
    }

    /// Visible ASCII only, without `\`, which parsers read differently; a URI this long is not an endpoint.
    private static func checkCharacters(_ text: String, variable: String) throws(ECSSourceError) {
        guard text.utf8.count <= maximumLength else {
            throw .invalidURI(variable: variable, reason: "it is longer than \(maximumLength) bytes")
        }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else {
            throw .invalidURI(variable: variable, reason: "it holds spaces, control characters, '\\' or non-ASCII")
        }
        guard !text.utf8.contains(UInt8(ascii: "#")) else {
            throw .invalidURI(variable: variable, reason: "it holds a fragment ('#')")
        }
    }

    /// The pieces of an absolute URL that decide where the request goes.
    struct URLParts: Equatable {
        var https: Bool
        /// The host in lower case, without the brackets of an IPv6 literal.
        var host: String
        /// `scheme://authority`, as written.
        var endpoint: String
    }

    /// `http(s)://host[:port][/path][?query]`, strictly: no user information (libcurl and Python's urlparse could
    /// disagree on where the host is), a numeric port, a host of letters, digits, `-` and `.` or a bracketed IPv6
    /// literal.
    static func parse(_ text: String, variable: String) throws(ECSSourceError) -> URLParts {
        try checkCharacters(text, variable: variable)
        let lowered = text.lowercased()
        let https: Bool
        if lowered.hasPrefix("https://") {
            https = true
        } else if lowered.hasPrefix("http://") {
            https = false
        } else {
            throw .invalidURI(variable: variable, reason: "it is not an http:// or https:// URL")
        }
        let schemeLength = https ? 8 : 7
        let afterScheme = Array(text.utf8.dropFirst(schemeLength))
        let end = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? afterScheme.count
        let authority = afterScheme[..<end]
        guard !authority.contains(UInt8(ascii: "@")) else {
            throw .invalidURI(variable: variable, reason: "it holds user information ('@')")
        }
        var host: ArraySlice<UInt8>
        var port: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else {
                throw .invalidURI(variable: variable, reason: "its IPv6 address has no closing ']'")
            }
            host = authority[(authority.startIndex + 1)..<close]
            guard IPAddress.ipv6(host) != nil else {
                throw .invalidURI(variable: variable, reason: "its host is not an IPv6 address")
            }
            let rest = authority[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":") else {
                    throw .invalidURI(variable: variable, reason: "text follows its IPv6 address")
                }
                port = rest.dropFirst()
            }
        } else {
            let pieces = authority.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw .invalidURI(variable: variable, reason: "its port is malformed") }
            host = pieces[0]
            port = pieces.count == 2 ? pieces[1] : nil
            let isHostByte: (UInt8) -> Bool = { byte in
                isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "_")
            }
            guard host.allSatisfy(isHostByte) else {
                throw .invalidURI(variable: variable, reason: "its host holds characters a host name cannot")
            }
        }
        guard !host.isEmpty else { throw .invalidURI(variable: variable, reason: "it names no host") }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy({ (0x30...0x39).contains($0) }),
                let number = Int(String(decoding: port, as: UTF8.self)), (1...65_535).contains(number)
            else { throw .invalidURI(variable: variable, reason: "its port is not a number from 1 to 65535") }
        }
        return URLParts(
            https: https, host: String(decoding: host, as: UTF8.self).lowercased(),
            endpoint: String(decoding: Array(text.utf8.prefix(schemeLength)) + authority, as: UTF8.self))
    }

    /// botocore's rule for `http://`: a loopback address as Python's `ip_address` reads it, or an allowed host.
    static func isAllowedPlainHost(_ host: String) -> Bool {
        if allowedHosts.contains(where: { $0.utf8.elementsEqual(host.utf8) }) { return true }
        switch IPAddress(host) {
        case .v4(let bytes): return bytes[0] == 127
        case .v6(let bytes): return bytes == [UInt8](repeating: 0, count: 15) + [1]
        case nil: return false
        }
    }
}

/// An IP address literal, read as strictly as Python's `ipaddress.ip_address` reads one.
enum IPAddress: Equatable {
    case v4([UInt8])
    case v6([UInt8])

    init?(_ text: String) {
        let bytes = Array(text.utf8)[...]
        if let v4 = Self.ipv4(bytes) {
            self = .v4(v4)
        } else if let v6 = Self.ipv6(bytes) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// Four decimal octets of 0 to 255, without leading zeros (Python refuses them since 3.9.5).
    static func ipv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ (0x30...0x39).contains($0) }),
                part.count == 1 || part.first != UInt8(ascii: "0"),
                let value = Int(String(decoding: part, as: UTF8.self)), value <= 255
            else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    /// Eight groups of 1 to 4 hexadecimal digits, `::` standing for one or more zero groups, optionally ending in
    /// an IPv4 address; no zone index.
    static func ipv6(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard (2...45).contains(text.count) else { return nil }
        let colon = UInt8(ascii: ":")
        let head: [UInt16]
        var tail: [UInt16] = []
        let compressed = text.firstRange(of: [colon, colon])
        if let compressed {
            let after = text[compressed.upperBound...]
            // One `::` only, and not followed by a third colon.
            guard after.first != colon, after.firstRange(of: [colon, colon]) == nil,
                let before = groups(text[..<compressed.lowerBound], endingInIPv4: false),
                let rest = groups(after, endingInIPv4: true), before.count + rest.count <= 7
            else { return nil }
            head = before
            tail = rest
        } else {
            guard let all = groups(text, endingInIPv4: true), all.count == 8 else { return nil }
            head = all
        }
        let words = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Colon-separated groups; the last may be an IPv4 address (two groups) when `endingInIPv4`.
    private static func groups(_ text: ArraySlice<UInt8>, endingInIPv4: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let pieces = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if endingInIPv4, index == pieces.count - 1, piece.contains(UInt8(ascii: ".")) {
                guard let v4 = ipv4(piece) else { return nil }
                result += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                continue
            }
            guard (1...4).contains(piece.count), piece.allSatisfy(isHexDigit),
                let value = UInt16(String(decoding: piece, as: UTF8.self), radix: 16)
            else { return nil }
            result.append(value)
        }
        return result
    }
}

private func isAlphanumeric(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
}

private func isHexDigit(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
}
