import ElevateCore
import ElevateSTS

/// Role session names: what STS accepts, and the default that tells CloudTrail readers where a session came from.
public enum SessionName {
    /// Whether STS accepts `name`: 2–64 characters of `[\w+=,.@-]`.
    public static func isValid(_ name: String) -> Bool { STSNames.isRoleSessionName(name) }

    /// The default session name: `aws-elevate-<instance id>` when instance metadata named the instance, else
    /// `user@host`, else `aws-elevate`; always valid (sanitised, at most 64 characters).
    public static func defaultName(machine: MachineFacts?, user: String?, host: String?) -> String {
        if let instanceId = machine?.instanceId, !instanceId.isEmpty {
            return sanitised("aws-elevate-" + instanceId)
        }
        let user = user.flatMap { $0.isEmpty ? nil : $0 }
        let host = host.flatMap { $0.isEmpty ? nil : $0 }
        switch (user, host) {
        case (let user?, let host?): return sanitised(user + "@" + host)
        case (let user?, nil): return sanitised(user + "@aws-elevate")
        case (nil, let host?): return sanitised("aws-elevate@" + host)
        case (nil, nil): return "aws-elevate"
        }
    }

    /// `text` with every character STS does not accept replaced by `-`, cut to 64 characters; `aws-elevate` when
    /// fewer than 2 characters would remain.
    public static func sanitised(_ text: String) -> String {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let byte = scalar.isASCII ? UInt8(scalar.value) : 0
            bytes.append(isAllowed(byte) ? byte : UInt8(ascii: "-"))
            if bytes.count == 64 { break }
        }
        return bytes.count < 2 ? "aws-elevate" : String(decoding: bytes, as: UTF8.self)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool { STSNames.isSessionNameByte(byte) }
}
