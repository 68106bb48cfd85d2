import ElevateCore

/// Shell text that puts credentials into the current bash or zsh session through `eval`.
enum ShellExport {
    /// The shells whose `eval` the text is written for; both read the same POSIX quoting.
    enum Shell: String, CaseIterable {
        case bash
        case zsh
    }

    /// `export`/`unset` lines; every value single-quoted so that `eval` gives it back byte for byte.
    static func render(_ credentials: Credentials, profile: String, region: String?) -> String {
        var lines = [
            export("AWS_ACCESS_KEY_ID", credentials.accessKeyId),
            export("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey),
            credentials.sessionToken.map { export("AWS_SESSION_TOKEN", $0) } ?? "unset AWS_SESSION_TOKEN",
            credentials.expiration.map { export("AWS_CREDENTIAL_EXPIRATION", Timestamp.format($0)) }
                ?? "unset AWS_CREDENTIAL_EXPIRATION",
            export("AWS_ELEVATE_PROFILE", profile),
        ]
        if let region {
            lines.append(export("AWS_REGION", region))
            lines.append(export("AWS_DEFAULT_REGION", region))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func export(_ name: String, _ value: String) -> String {
        "export \(name)=\(quote(value))"
    }

    /// POSIX single quoting, the same in bash and zsh: nothing inside single quotes is special, and a
    /// single quote is written as `'\''` (close, escaped quote, reopen).
    static func quote(_ value: String) -> String {
        "'" + value.replacing("'", with: "'\\''") + "'"
    }
}
