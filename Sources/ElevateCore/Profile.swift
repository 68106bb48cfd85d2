/// The settings of one named profile, after the config and credentials files were merged.
public struct Profile: Sendable, Equatable {
    /// The profile name as written after `profile ` in the config file, or the section name in the credentials file.
    public var name: String
    /// Plain settings by lower-cased key.
    public var values: [String: String]
    /// Nested settings (an empty value followed by indented `key = value` lines, such as `s3 =`), by lower-cased key.
    public var sections: [String: [String: String]]
    /// The config file's `[services NAME]` section that this profile's `services` key names: each service's
    /// settings (`sts` → `endpoint_url`), by lower-cased service id. `nil` when the profile has no `services` key
    /// or no such section exists (botocore then fails only when it looks for a service's endpoint).
    public var serviceSettings: [String: [String: String]]?
    /// The config file's `[sso-session NAME]` section that this profile's `sso_session` key names: its plain
    /// settings by lower-cased key (`sso_start_url`, `sso_region`, …). `nil` when the profile has no `sso_session`
    /// key or no such section exists.
    public var ssoSession: [String: String]?

    public init(
        name: String, values: [String: String] = [:], sections: [String: [String: String]] = [:],
        serviceSettings: [String: [String: String]]? = nil, ssoSession: [String: String]? = nil
    ) {
        self.name = name
        self.values = values
        self.sections = sections
        self.serviceSettings = serviceSettings
        self.ssoSession = ssoSession
    }

    /// The plain value of `key` (lower-case), or `nil` when it is absent.
    public subscript(key: String) -> String? { values[key] }
}
