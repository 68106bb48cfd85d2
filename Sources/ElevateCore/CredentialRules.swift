#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The shape every set of credentials must have where it enters aws-elevate: from a source, from a hop, from a
/// cache entry or a keyring item.
///
/// The values end up in JSON for SDKs, in text a shell evaluates and in environment variables, and they come from
/// programs, services and files that may be hostile; anything outside these rules is refused, never repaired. The
/// checks look at UTF-8 bytes only (a `Character` can hide a quote behind a combining mark), and they cost well
/// under a microsecond, so they run on every cache hit too.
public enum CredentialRules {
    /// A field that broke a rule, and the rule, in words. Never carries the value.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        /// The field's name as the credential_process document spells it, e.g. `SecretAccessKey`.
        public var field: String
        /// What the field must be, e.g. `printable ASCII without spaces`.
        public var rule: String

        public var description: String { "its \(field) is not \(rule)" }
    }

    /// AWS issues access key ids of 16 to 128 characters; local emulators use shorter ones such as `test`.
    public static let accessKeyIdRule = "1 to 128 ASCII letters and digits"
    public static let secretRule = "1 to \(maximumSecretLength) bytes of printable ASCII without spaces"
    public static let tokenRule = "1 to \(maximumTokenLength) bytes of printable ASCII without spaces"
    public static let expirationRule = "a time between the years 1970 and 9999"
    public static let arnRule = "an ARN of printable ASCII without spaces"
    public static let instanceIdRule = "an EC2 instance id (i- and hexadecimal digits)"
    public static let regionRule = "a region name (lowercase letters, digits and '-')"

    static let maximumSecretLength = 1024
    /// Session tokens run to a few kilobytes; the bound keeps an environment variable well inside what exec takes.
    static let maximumTokenLength = 16384
    static let maximumArnLength = 2048

    /// The first rule `credentials` break, `nil` when they keep them all.
    public static func violation(in credentials: Credentials) -> Violation? {
        if !isAccessKeyId(credentials.accessKeyId) {
            return Violation(field: "AccessKeyId", rule: accessKeyIdRule)
        }
        if !isPrintableWord(credentials.secretAccessKey, maximum: maximumSecretLength) {
            return Violation(field: "SecretAccessKey", rule: secretRule)
        }
        if let token = credentials.sessionToken, !isPrintableWord(token, maximum: maximumTokenLength) {
            return Violation(field: "SessionToken", rule: tokenRule)
        }
        if let expiration = credentials.expiration, !isRepresentable(expiration) {
            return Violation(field: "Expiration", rule: expirationRule)
        }
        if let arn = credentials.principalArn, !isArn(arn) {
            return Violation(field: "Arn", rule: arnRule)
        }
        if let instanceId = credentials.machine?.instanceId, !isInstanceId(instanceId) {
            return Violation(field: "instance-id", rule: instanceIdRule)
        }
        if let region = credentials.machine?.region, !isRegion(region) {
            return Violation(field: "region", rule: regionRule)
        }
        return nil
    }

    /// Whether `text` keeps ``arnRule``: `arn:`, then printable ASCII without spaces, at most 2048 bytes in all.
    public static func isArn(_ text: String) -> Bool {
        text.utf8.starts(with: "arn:".utf8) && isPrintableWord(text, maximum: maximumArnLength)
    }

    static func isAccessKeyId(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...128).contains(bytes.count) && bytes.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
    }

    static func isPrintableWord(_ text: String, maximum: Int) -> Bool {
        let bytes = text.utf8
        return (1...maximum).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// Instance ids are `i-` and 8 or 17 lowercase hexadecimal digits.
    static func isInstanceId(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 || bytes.count == 19, bytes[0] == UInt8(ascii: "i"), bytes[1] == UInt8(ascii: "-")
        else { return false }
        return bytes.dropFirst(2).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func isRegion(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "-")
        }
    }

    /// Inside the years `Timestamp.format` writes: 1970-01-01 to 9999-12-31.
    static func isRepresentable(_ date: Date) -> Bool {
        let seconds = date.timeIntervalSince1970
        return seconds.isFinite && seconds >= 0 && seconds < 253_402_300_800
    }
}
