#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif
import ElevateCore

/// A token as `aws sso login` caches it in `~/.aws/sso/cache/<sha1 hex>.json`: the fields botocore reads, checked.
package struct SSOToken: Sendable, Equatable {
    package var accessToken: String
    package var expiresAt: Date
    /// Every top-level field that is text, for the refresh (`refreshToken`, `clientId`, …).
    package var text: [String: String]
    /// Every top-level field name, text or not: botocore tests presence.
    package var names: Set<String>
}

/// Reads and writes the AWS CLI's SSO token cache files, as botocore's `SSOTokenLoader` and `JSONFileCache` do.
package enum SSOTokenCache {
    /// The largest file read: a cached token is a few kilobytes.
    static let limit = 64 * 1024

    /// botocore's `SSOTokenProvider._REFRESH_WINDOW`: a token with less time left than this is refreshed.
    static let refreshWindow: TimeInterval = 15 * 60

    /// The fields a refresh needs, as botocore lists them.
    static let refreshFields = ["refreshToken", "clientId", "clientSecret", "registrationExpiresAt"]

    /// The token in `path`. Throws ``SSOSourceError/noToken(_:path:)`` when there is none, and
    /// ``SSOSourceError/badTokenFile(_:path:reason:)`` for anything that is not a token botocore would use.
    static func read(_ path: String, login: SSOLogin) throws(SSOSourceError) -> SSOToken {
        func bad(_ reason: String) -> SSOSourceError { .badTokenFile(login, path: path, reason: reason) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .noToken(login, path: path) }
            throw bad(errnoText(code))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw bad(errnoText(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw bad("it is not a regular file") }
        let bytes: [UInt8]
        switch readAll(fd: fd, sizeHint: Int(info.st_size), limit: limit) {
        case .bytes(let read): bytes = read
        case .tooLarge: throw bad("it is larger than 64 KiB, which no cached token is")
        case .failed(let code): throw bad(errnoText(code))
        }
        return try parse(bytes, path: path, login: login)
    }

    /// The token in the bytes of a cache file; throws ``SSOSourceError/badTokenFile(_:path:reason:)`` for anything
    /// that is not a token botocore would use.
    package static func parse(_ bytes: [UInt8], path: String, login: SSOLogin) throws(SSOSourceError) -> SSOToken {
        func bad(_ reason: String) -> SSOSourceError { .badTokenFile(login, path: path, reason: reason) }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw bad("it is not UTF-8 text") }
        let fields: [String: TokenField]
        do {
            fields = try JSONDecoder().decode([String: TokenField].self, from: Data(bytes))
        } catch {
            // Never quoted: it holds tokens.
            throw bad("it is not a JSON object")
        }
        var text: [String: String] = [:]
        for (name, field) in fields {
            if case .text(let value) = field { text[name] = value }
        }
        for name in ["accessToken", "expiresAt"] where fields[name] == nil {
            throw bad("it has no \(name)")
        }
        guard let accessToken = text["accessToken"], !accessToken.isEmpty else {
            throw bad("its accessToken is empty or not text")
        }
        // The token goes into a header: a control character would end it.
        guard accessToken.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw bad("its accessToken holds a control character")
        }
        guard let expiresText = text["expiresAt"] else { throw bad("its expiresAt is not text") }
        guard let expiresAt = parseTime(expiresText) else {
            throw bad("its expiresAt \(quoted(expiresText)) is not a time such as 2026-12-06T03:00:00Z")
        }
        return SSOToken(accessToken: accessToken, expiresAt: expiresAt, text: text, names: Set(fields.keys))
    }

    /// An ISO 8601 time with its zone, as the AWS CLI writes them: RFC 3339, or with the zone written `UTC`
    /// (older AWS CLI v2 releases).
    static func parseTime(_ text: String) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        let trimmed = trimmingWhitespace(text)
        guard trimmed.utf8.count > 3, trimmed.utf8.suffix(3).elementsEqual("UTC".utf8) else { return nil }
        return Timestamp.parse(String(decoding: trimmed.utf8.dropLast(3), as: UTF8.self) + "Z")
    }

    /// The file content botocore's `SSOTokenProvider` writes after a refresh: these fields in this order, as
    /// Python's `json.dumps` writes them (`, ` and `: ` separators, non-ASCII escaped).
    package static func document(_ fields: [(String, String)]) -> [UInt8] {
        var text = "{"
        for (index, (name, value)) in fields.enumerated() {
            if index > 0 { text += ", " }
            text += pythonJSONString(name) + ": " + pythonJSONString(value)
        }
        return Array((text + "}").utf8)
    }

    /// Replaces `path` with `bytes` atomically: a new file (0600) beside it, written and synced, then renamed over
    /// it, as botocore's `JSONFileCache` does. A reader sees the old file or the new one, never a part.
    static func write(_ bytes: [UInt8], to path: String) throws(SSOSourceError) {
        let directory =
            path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(decoding: path.utf8[..<$0], as: UTF8.self) } ?? "."
        let temporary = "\(directory)/\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .notSaved(path: path, reason: errnoText(errno)) }
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += count
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(temporary, path) != 0 { failure = errno }
        if let failure {
            unlink(temporary)
            throw .notSaved(path: path, reason: errnoText(failure))
        }
    }
}

/// A top-level field of a token file: text, or anything else.
enum TokenField: Decodable, Equatable {
    case text(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(String.self) {
            self = .text(value)
        } else {
            self = .other
        }
    }
}

/// `text` as Python's `json.dumps` writes a string with its default `ensure_ascii=True`: `"` and `\` escaped,
/// `\n`, `\r`, `\t`, `\b`, `\f` by name, every other code point outside printable ASCII as `\uxxxx` (lower-case
/// hex, a surrogate pair above U+FFFF).
func pythonJSONString(_ text: String) -> String {
    let hex = Array("0123456789abcdef".utf8)
    var bytes: [UInt8] = [UInt8(ascii: "\"")]
    func escape(_ unit: UInt16) {
        bytes += Array("\\u".utf8)
        for shift in stride(from: 12, through: 0, by: -4) { bytes.append(hex[Int((unit >> UInt16(shift)) & 0xF)]) }
    }
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x22: bytes += Array("\\\"".utf8)
        case 0x5C: bytes += Array("\\\\".utf8)
        case 0x0A: bytes += Array("\\n".utf8)
        case 0x0D: bytes += Array("\\r".utf8)
        case 0x09: bytes += Array("\\t".utf8)
        case 0x08: bytes += Array("\\b".utf8)
        case 0x0C: bytes += Array("\\f".utf8)
        case 0x20...0x7E: bytes.append(UInt8(scalar.value))
        default:
            for unit in String(scalar).utf16 { escape(unit) }
        }
    }
    bytes.append(UInt8(ascii: "\""))
    return String(decoding: bytes, as: UTF8.self)
}
