/// The shapes STS accepts for role ARNs and session names, shared by every plugin that calls it.
public enum STSNames {
    /// Whether `text` has the shape `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME` (12-digit account).
    public static func isRoleArn(_ text: String) -> Bool {
        // Printable ASCII only, which also keeps the Character-level splitting below byte-exact.
        guard (20...2048).contains(text.utf8.count), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return false
        }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[3].isEmpty else { return false }
        let partition = parts[1]
        guard partition == "aws" || partition.hasPrefix("aws-"),
            partition.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "-") })
        else { return false }
        guard parts[4].utf8.count == 12, parts[4].utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        let resource = parts[5]
        guard resource.hasPrefix("role/"), let name = resource.split(separator: "/").last, name != "role",
            !resource.hasSuffix("/"), resource.utf8.allSatisfy({ isWordByte($0) || "+=,.@/-".utf8.contains($0) })
        else { return false }
        return true
    }

    /// Whether STS accepts `name` as a role session name: 2–64 characters of `[\w+=,.@-]`.
    public static func isRoleSessionName(_ name: String) -> Bool {
        (2...64).contains(name.utf8.count) && name.utf8.allSatisfy(isSessionNameByte)
    }

    /// A byte of `[\w+=,.@-]`.
    public static func isSessionNameByte(_ byte: UInt8) -> Bool {
        isWordByte(byte) || "+=,.@-".utf8.contains(byte)
    }

    /// `\w` as STS means it: ASCII letters, digits and `_`.
    public static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
