import ElevateCore
import ElevateSTS

/// What the `assume-role` elevation reads of a hop, once: its settings, where STS is reached (before any
/// instance region is known) and how often a request is tried.
public struct AssumeRoleBinding: Sendable {
    public var settings: AssumeRoleSettings
    public var sts: STSConfiguration
    public var retry: RetryPolicy
}

/// The settings of one `assume-role` hop, read from its profile with the names botocore and aws-vault use, and
/// checked against STS's own limits before anything is sent. An empty optional value counts as unset.
public struct AssumeRoleSettings: Sendable, Equatable {
    /// `role_arn`: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
    public var roleArn: String
    /// `role_session_name`: 2–64 characters of `[\w+=,.@-]`; a default is made when unset.
    public var roleSessionName: String?
    /// `external_id`: 2–1224 characters of `[\w+=,.@:/-]`.
    public var externalId: String?
    /// `duration_seconds`: 900 to 43200.
    public var durationSeconds: Int?
    /// `mfa_serial`: the MFA device's ARN or serial number.
    public var mfaSerial: String?
    /// `source_identity`: 2–64 characters of `[\w+=,.@-]`, not starting with `aws:`.
    public var sourceIdentity: String?
    /// `session_tags`: `Key=Value,Key2=Value2`.
    public var sessionTags: [SessionTag]
    /// `transitive_session_tags`: `Key,Key2`.
    public var transitiveTagKeys: [String]

    /// The duration STS is asked for when `duration_seconds` is unset.
    public static let defaultDurationSeconds = 3600
    /// The longest session STS grants to a role assumed with role credentials (role chaining).
    public static let chainedMaximumSeconds = 3600
    /// The allowed range of `duration_seconds`.
    public static let durationRange = 900...43200

    /// The settings of `profile`, the profile of hop number `hop`.
    public init(profile: Profile, hop: Int) throws(AssumeRoleError) {
        let reader = Reader(profile: profile, hop: hop)
        guard let arn = reader.value("role_arn") else {
            throw reader.invalid("role_arn", "", "a role ARN such as arn:aws:iam::123456789012:role/NAME")
        }
        guard Self.isRoleArn(arn) else {
            throw reader.invalid("role_arn", arn, "a role ARN such as arn:aws:iam::123456789012:role/NAME")
        }
        roleArn = arn

        roleSessionName = reader.value("role_session_name")
        if let name = roleSessionName, !SessionName.isValid(name) {
            throw reader.invalid("role_session_name", name, "2 to 64 characters of letters, digits and _+=,.@-")
        }

        externalId = reader.value("external_id")
        if let id = externalId, !(2...1224).contains(id.utf8.count) || !id.utf8.allSatisfy(isExternalIdByte) {
            throw reader.invalid("external_id", id, "2 to 1224 characters of letters, digits and _+=,.@:/-")
        }

        durationSeconds = nil
        if let text = reader.value("duration_seconds") {
            guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int(text),
                Self.durationRange.contains(seconds)
            else {
                throw reader.invalid("duration_seconds", text, "a whole number of seconds from 900 to 43200")
            }
            durationSeconds = seconds
        }

        mfaSerial = reader.value("mfa_serial")
        if let serial = mfaSerial,
            !(9...256).contains(serial.utf8.count) || !serial.utf8.allSatisfy(isSerialNumberByte)
        {
            throw reader.invalid(
                "mfa_serial", serial, "an MFA device ARN such as arn:aws:iam::123456789012:mfa/NAME or a serial number")
        }

        sourceIdentity = reader.value("source_identity")
        if let identity = sourceIdentity, !SessionName.isValid(identity) || identity.lowercased().hasPrefix("aws:") {
            throw reader.invalid(
                "source_identity", identity, "2 to 64 characters of letters, digits and _+=,.@- not starting with aws:")
        }

        sessionTags = []
        if let text = reader.value("session_tags") {
            guard let tags = Self.parseTags(text) else {
                throw reader.invalid(
                    "session_tags", text,
                    "at most 50 comma-separated Key=Value pairs with distinct keys of 1 to 128 and values of at most "
                        + "256 letters, digits, spaces or _.:/=+-@")
            }
            sessionTags = tags
        }

        transitiveTagKeys = []
        if let text = reader.value("transitive_session_tags") {
            guard let keys = Self.parseKeys(text) else {
                throw reader.invalid(
                    "transitive_session_tags", text,
                    "comma-separated tag keys of 1 to 128 letters, digits, spaces or _.:/=+-@")
            }
            transitiveTagKeys = keys
        }
    }

    /// Whether `text` has the shape `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME` (12-digit account).
    public static func isRoleArn(_ text: String) -> Bool { STSNames.isRoleArn(text) }

    /// `Key=Value,Key2=Value2` → tags, `nil` when malformed. Spaces around items, keys and values are dropped.
    public static func parseTags(_ text: String) -> [SessionTag]? {
        var tags: [SessionTag] = []
        var seen: Set<String> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = item.firstIndex(of: "=") else { return nil }
            let key = trimmed(item[..<equals])
            let value = trimmed(item[item.index(after: equals)...])
            guard isTagKey(key), value.count <= 256, value.unicodeScalars.allSatisfy(isTagScalar) else { return nil }
            // Tag keys are case-insensitive in STS: `Team` and `team` would collide.
            guard seen.insert(key.lowercased()).inserted else { return nil }
            tags.append(SessionTag(key: key, value: value))
        }
        return tags.count <= 50 ? tags : nil
    }

    /// `Key,Key2` → keys, `nil` when malformed.
    public static func parseKeys(_ text: String) -> [String]? {
        var keys: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let key = trimmed(item)
            guard isTagKey(key) else { return nil }
            keys.append(key)
        }
        return keys.count <= 50 ? keys : nil
    }

    private static func isTagKey(_ key: String) -> Bool {
        (1...128).contains(key.count) && key.unicodeScalars.allSatisfy(isTagScalar)
    }

    /// STS's tag pattern `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
    private static func isTagScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spaceSeparator, .lineSeparator, .paragraphSeparator,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return "_.:/=+-@".unicodeScalars.contains(scalar)
        }
    }

    private static func trimmed(_ text: Substring) -> String {
        String(
            text.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
                .reversed())
    }
}

/// Reads one profile's values for one hop, with errors naming both.
private struct Reader {
    var profile: Profile
    var hop: Int

    func value(_ key: String) -> String? {
        guard let text = profile[key], !text.isEmpty else { return nil }
        return text
    }

    func invalid(_ key: String, _ value: String, _ expected: String) -> AssumeRoleError {
        .invalidSetting(hop: hop, profile: profile.name, key: key, value: value, expected: expected)
    }
}

/// `\w` as STS means it: ASCII letters, digits and `_`.
func isWordByte(_ byte: UInt8) -> Bool { STSNames.isWordByte(byte) }

private func isExternalIdByte(_ byte: UInt8) -> Bool {
    isWordByte(byte) || "+=,.@:/-".utf8.contains(byte)
}

private func isSerialNumberByte(_ byte: UInt8) -> Bool {
    isWordByte(byte) || "+=/:,.@-".utf8.contains(byte)
}
