import ElevateCore

/// The settings of the `imds` source, each read from the environment and then from the step's profile with
/// botocore's names; the environment wins, and an empty value counts as unset.
public struct IMDSSettings: Sendable, Equatable {
    /// Whether IMDSv1 (requests without a token) may be used when the IMDSv2 token request fails.
    public enum V1Fallback: Sendable, Equatable {
        /// Not opted in: IMDSv2 only, the default.
        case notAllowed
        /// Opted in by the named setting (`AWS_ELEVATE_IMDS_V1=allow` or `elevate_imds_v1 = allow`).
        case allowed(by: String)
        /// Forbidden by the named setting (`AWS_EC2_METADATA_V1_DISABLED` or `ec2_metadata_v1_disabled`),
        /// whatever the opt-in says.
        case disabled(by: String)
    }

    /// The service over IPv4, botocore's default.
    public static let ipv4Endpoint = "http://169.254.169.254"
    /// The service over IPv6 (`ec2_metadata_service_endpoint_mode = IPv6`).
    public static let ipv6Endpoint = "http://[fd00:ec2::254]"
    /// The largest accepted `metadata_service_timeout`, in seconds.
    public static let maximumTimeoutSeconds = 3_600.0
    /// The largest accepted `metadata_service_num_attempts`.
    public static let maximumAttempts = 100

    /// The base URL of the service, `http://` or `https://`, without a trailing slash.
    public var endpoint: String
    /// The limit on each request (connection included), in seconds; above zero.
    public var timeoutSeconds: Double
    /// How many times each request is sent when it fails transiently (network trouble or a 5xx status); at least 1.
    public var attempts: Int
    /// Whether IMDSv1 may be used when the IMDSv2 token request fails.
    public var v1Fallback: V1Fallback

    /// Settings given directly.
    public init(endpoint: String, timeoutSeconds: Double = 1, attempts: Int = 1, v1Fallback: V1Fallback = .notAllowed) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
        self.v1Fallback = v1Fallback
    }

    /// The settings in `environment` and `profile`.
    ///
    /// Throws ``IMDSSourceError/disabled(by:)`` when `AWS_EC2_METADATA_DISABLED` is `true`, and
    /// ``IMDSSourceError/invalidSetting(name:value:expected:)`` for any value that cannot be used.
    public init(environment: [String: String], profile: Profile) throws(IMDSSourceError) {
        let lookup = Lookup(environment: environment, profile: profile)
        if let disabled = try lookup.value(env: "AWS_EC2_METADATA_DISABLED", key: nil),
           try Self.boolean(disabled) {
            throw .disabled(by: disabled.name)
        }

        let mode = try lookup.value(
            env: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", key: "ec2_metadata_service_endpoint_mode")
        var endpoint = Self.ipv4Endpoint
        if let mode {
            switch mode.text.lowercased() {
            case "ipv4": endpoint = Self.ipv4Endpoint
            case "ipv6": endpoint = Self.ipv6Endpoint
            default: throw mode.invalid(expected: "IPv4 or IPv6")
            }
        }
        // An explicit endpoint wins over the mode wherever each was set, as in botocore.
        if let explicit = try lookup.value(
            env: "AWS_EC2_METADATA_SERVICE_ENDPOINT", key: "ec2_metadata_service_endpoint"
        ) {
            guard let normalized = Self.normalizedEndpoint(explicit.text) else {
                throw explicit.invalid(expected: "an http:// or https:// URL such as http://169.254.169.254")
            }
            endpoint = normalized
        }
        self.endpoint = endpoint

        timeoutSeconds = 1
        if let timeout = try lookup.value(env: "AWS_METADATA_SERVICE_TIMEOUT", key: "metadata_service_timeout") {
            guard let seconds = Self.decimal(timeout.text), seconds > 0, seconds <= Self.maximumTimeoutSeconds else {
                throw timeout.invalid(expected: "a number of seconds above 0 and at most 3600, such as 1 or 0.5")
            }
            timeoutSeconds = seconds
        }

        attempts = 1
        if let count = try lookup.value(
            env: "AWS_METADATA_SERVICE_NUM_ATTEMPTS", key: "metadata_service_num_attempts"
        ) {
            guard count.text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(count.text),
                  (1...Self.maximumAttempts).contains(number)
            else {
                throw count.invalid(expected: "a whole number from 1 to \(Self.maximumAttempts)")
            }
            attempts = number
        }

        let v1Disabled = try lookup.value(env: "AWS_EC2_METADATA_V1_DISABLED", key: "ec2_metadata_v1_disabled")
        let optIn = try lookup.value(env: "AWS_ELEVATE_IMDS_V1", key: "elevate_imds_v1")
        var allowedBy: String? = nil
        if let optIn {
            switch optIn.text.lowercased() {
            case "allow": allowedBy = optIn.name
            case "deny": allowedBy = nil
            default: throw optIn.invalid(expected: "allow or deny")
            }
        }
        if let v1Disabled, try Self.boolean(v1Disabled) {
            v1Fallback = .disabled(by: v1Disabled.name)
        } else if let allowedBy {
            v1Fallback = .allowed(by: allowedBy)
        } else {
            v1Fallback = .notAllowed
        }
    }

    /// The timeout in whole milliseconds, rounded up and at least 1, for both the connection and the exchange.
    var timeoutMilliseconds: Int {
        max(1, Int((timeoutSeconds * 1_000).rounded(.up)))
    }

    /// `1 s`, `0.5 s`: the timeout as people write it.
    var timeoutText: String {
        let whole = timeoutSeconds.rounded()
        return whole == timeoutSeconds ? "\(Int(whole)) s" : "\(timeoutSeconds) s"
    }

    /// `true` or `false` in any case; anything else is an error rather than a silent `false`.
    private static func boolean(_ setting: Lookup.Setting) throws(IMDSSourceError) -> Bool {
        switch setting.text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw setting.invalid(expected: "true or false")
        }
    }

    /// Digits with at most one decimal point; no signs, exponents, `inf` or `nan`, which `Double(_:)` would take.
    private static func decimal(_ text: String) -> Double? {
        var digits = 0
        var points = 0
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39: digits += 1
            case UInt8(ascii: "."): points += 1
            default: return nil
            }
        }
        guard digits > 0, points <= 1, digits <= 20 else { return nil }
        return Double(text)
    }

    /// `scheme://host[:port][/path]` with scheme `http` or `https` and no user information, query or fragment,
    /// without trailing slashes; `nil` when `text` is anything else.
    static func normalizedEndpoint(_ text: String) -> String? {
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
              !text.contains("?"), !text.contains("#"), !text.contains("@")
        else { return nil }
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("http://") {
            scheme = "http://"
        } else if lowered.hasPrefix("https://") {
            scheme = "https://"
        } else {
            return nil
        }
        var rest = text.dropFirst(scheme.count)
        guard isValidAuthority(rest.prefix { $0 != "/" }) else { return nil }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        return scheme + rest
    }

    private static func isValidAuthority(_ authority: Substring) -> Bool {
        let host: Substring
        let port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            let literal = authority[authority.index(after: authority.startIndex)..<close]
            guard !literal.isEmpty, literal.contains(":"),
                  literal.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." })
            else { return false }
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
            host = literal
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return false }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
                return false
            }
        }
        guard !host.isEmpty else { return false }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(port), (1...65_535).contains(number)
            else { return false }
        }
        return true
    }
}

/// Reads one setting from the environment, else from the profile.
private struct Lookup {
    struct Setting {
        var text: String
        /// How the user would find it: `AWS_X` or `key in profile 'NAME'`.
        var name: String

        func invalid(expected: String) -> IMDSSourceError {
            .invalidSetting(name: name, value: text, expected: expected)
        }
    }

    var environment: [String: String]
    var profile: Profile

    func value(env: String, key: String?) throws(IMDSSourceError) -> Setting? {
        if let text = environment[env].map(trimmingWhitespace), !text.isEmpty {
            return Setting(text: text, name: env)
        }
        guard let key else { return nil }
        let name = "\(key) in profile '\(profile.name)'"
        if profile.sections[key] != nil {
            throw .invalidSetting(name: name, value: "", expected: "a plain value, not a sub-section")
        }
        if let text = profile[key].map(trimmingWhitespace), !text.isEmpty {
            return Setting(text: text, name: name)
        }
        return nil
    }
}
