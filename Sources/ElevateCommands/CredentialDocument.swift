import ElevateCore

/// The JSON document of the `credential_process` contract (Version 1).
enum CredentialDocument {
    /// `{"Version":1,"AccessKeyId":…,"SecretAccessKey":…,"SessionToken":…,"Expiration":…}` and a newline.
    static func render(_ credentials: Credentials) -> String {
        var fields = [
            ("Version", "1"),
            ("AccessKeyId", quote(credentials.accessKeyId)),
            ("SecretAccessKey", quote(credentials.secretAccessKey)),
        ]
        if let token = credentials.sessionToken {
            fields.append(("SessionToken", quote(token)))
        }
        if let expiration = credentials.expiration {
            fields.append(("Expiration", quote(Timestamp.format(expiration))))
        }
        return "{" + join(fields.map { "\"\($0.0)\": \($0.1)" }, separator: ", ") + "}\n"
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func quote(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
