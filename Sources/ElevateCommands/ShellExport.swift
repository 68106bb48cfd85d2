#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore

/// Shell text that puts credentials into the current bash or zsh session through `eval`.
enum ShellExport {
    /// The shells whose `eval` the text is written for; both read the same POSIX quoting.
    enum Shell: String, CaseIterable {
        case bash
        case zsh
    }

    /// `export`/`unset` lines; every value single-quoted by ``shellQuote(_:)`` so that `eval` gives it back byte for
    /// byte. Throws when a value holds a NUL byte, which the shell would silently drop.
    static func render(_ credentials: Credentials, profile: String, region: String?) throws(CoreError) -> String {
        var lines = [
            try export("AWS_ACCESS_KEY_ID", credentials.accessKeyId),
            try export("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey),
            try credentials.sessionToken.map { value throws(CoreError) in try export("AWS_SESSION_TOKEN", value) }
                ?? "unset AWS_SESSION_TOKEN",
            try credentials.expiration.map { date throws(CoreError) in
                try export("AWS_CREDENTIAL_EXPIRATION", Timestamp.format(date))
            } ?? "unset AWS_CREDENTIAL_EXPIRATION",
            try export("AWS_ELEVATE_PROFILE", profile),
        ]
        if let region {
            lines.append(try export("AWS_REGION", region))
            lines.append(try export("AWS_DEFAULT_REGION", region))
        }
        return join(lines, separator: "\n") + "\n"
    }

    /// The prefix of the names ``renderAssignments(_:profile:region:)`` assigns.
    static let stagingPrefix = "__aws_elevate_new_"

    /// Plain `__aws_elevate_new_NAME='value'` lines for shell/aws-elevate.sh, which moves them into place itself:
    /// the text has no command word, so an alias or function named `export` or `unset` cannot change its meaning.
    /// A missing session token, expiration or region has no line; `__aws_elevate_new_expires` is the expiration in
    /// seconds since 1970, so that the shell needs no date parser.
    static func renderAssignments(_ credentials: Credentials, profile: String, region: String?) throws(CoreError)
        -> String
    {
        func assign(_ name: String, _ value: String) throws(CoreError) -> String {
            guard let quoted = shellQuote(value) else { throw .notShellSafe(name: name) }
            return stagingPrefix + name + "=" + quoted
        }
        var lines = [
            try assign("AWS_ACCESS_KEY_ID", credentials.accessKeyId),
            try assign("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey),
        ]
        if let token = credentials.sessionToken { lines.append(try assign("AWS_SESSION_TOKEN", token)) }
        if let date = credentials.expiration {
            lines.append(try assign("AWS_CREDENTIAL_EXPIRATION", Timestamp.format(date)))
            lines.append(stagingPrefix + "expires=" + String(Int64(date.timeIntervalSince1970.rounded(.down))))
        }
        lines.append(try assign("AWS_ELEVATE_PROFILE", profile))
        if let region {
            lines.append(try assign("AWS_REGION", region))
            lines.append(try assign("AWS_DEFAULT_REGION", region))
        }
        return join(lines, separator: "\n") + "\n"
    }

    static func export(_ name: String, _ value: String) throws(CoreError) -> String {
        guard let quoted = shellQuote(value) else { throw .notShellSafe(name: name) }
        return "export \(name)=\(quoted)"
    }
}
