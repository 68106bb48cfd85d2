/// Percent-encoding and path rules shared by the canonical request and the Query API form body.
enum Encoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 unreserved characters, the only bytes SigV4 leaves unencoded.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// Encodes the UTF-8 bytes of `string`, keeping unreserved characters (and `/` when `keepSlash`), with upper-case
    /// hex digits; with `spaceAsPlus` a space becomes `+` as in `application/x-www-form-urlencoded`.
    static func percentEncode(_ string: String, keepSlash: Bool = false, spaceAsPlus: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                output.append(byte)
            } else if spaceAsPlus && byte == UInt8(ascii: " ") {
                output.append(UInt8(ascii: "+"))
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// RFC 3986 "remove dot segments", plus collapsing empty segments, which non-S3 services require.
    ///
    /// Works on UTF-8 bytes, not `Character`s: a combining mark after `/` would otherwise hide the separator.
    static func normalizedPath(_ path: String) -> String {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty else { return "/" }
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        var segments: [ArraySlice<UInt8>] = []
        for segment in bytes.split(separator: slash, omittingEmptySubsequences: true) {
            if segment.elementsEqual([dot]) { continue }
            if segment.elementsEqual([dot, dot]) {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        var output: [UInt8] = bytes.first == slash ? [slash] : []
        output += segments.joined(separator: [slash])
        if bytes.last == slash && !segments.isEmpty { output.append(slash) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Trims a header value and collapses inner whitespace runs to one space. The whitespace set is Python's
    /// `str.isspace()`, because botocore (`' '.join(value.split())`) is the reference this signer must match.
    static func trimmedHeaderValue(_ value: String) -> String {
        value.unicodeScalars.split(whereSeparator: isPythonWhitespace).map { String(String.UnicodeScalarView($0)) }
            .joined(separator: " ")
    }

    private static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0d, 0x1c...0x20, 0x85, 0xa0, 0x1680, 0x2000...0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
            true
        default:
            false
        }
    }

    /// Orders strings by their UTF-8 bytes, which for the ASCII output of `percentEncode` is code-point order.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

/// Form-url-encodes Query API parameters in the given order, byte for byte as botocore builds an STS request body:
/// `name=value` pairs joined by `&`, each name and value UTF-8 encoded, the unreserved characters `A-Za-z0-9-_.~` kept,
/// a space written as `+`, and every other byte as `%XX` with upper-case hex digits.
///
/// - Parameter parameters: The parameters in the order to send them, for example
///   `[("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", arn)]`.
/// - Returns: The body, for example `Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3A...`.
public func formURLEncode(_ parameters: [(name: String, value: String)]) -> String {
    parameters.map {
        Encoding.percentEncode($0.name, spaceAsPlus: true) + "=" + Encoding.percentEncode($0.value, spaceAsPlus: true)
    }.joined(separator: "&")
}
