#if canImport(Glibc)
    import Glibc
#endif
import ElevateCore
import ElevateSTS

/// What the `sso` source reads of a step, once and without a request: the profile's IAM Identity Center settings
/// (with its `[sso-session NAME]` section), where the portal and the OIDC service are reached, and where the AWS
/// CLI keeps its token.
public struct SSOSettings: Sendable {
    /// How the profile names its session, which decides the token's cache file and whether it may be refreshed.
    public enum Form: Sendable, Equatable {
        /// `sso_session = NAME`: the token is cached under the session name and refreshed before it expires.
        case session(String)
        /// `sso_start_url` and `sso_region` in the profile: the token is cached under the start URL, never refreshed.
        case legacy
    }

    /// The profile holding the SSO settings (`aws sso login --profile` needs it for the legacy form).
    public var profile: String
    public var form: Form
    public var startURL: String
    public var region: String
    public var accountId: String
    public var roleName: String
    /// The portal's base URL, such as `https://portal.sso.eu-west-1.amazonaws.com`, and where it came from.
    public var portal: STSEndpoint
    /// The OIDC service's base URL, such as `https://oidc.eu-west-1.amazonaws.com`, and where it came from.
    public var oidc: STSEndpoint
    /// `AWS_CA_BUNDLE` or the profile's `ca_bundle`: the only trust when set.
    public var caBundlePath: String?
    public var retry: RetryPolicy
    /// `~/.aws/sso/cache`, `nil` when no home directory is known.
    public var tokenDirectory: String?

    /// What botocore hashes into the token's file name: the session name, or the start URL for the legacy form.
    public var tokenKey: String {
        switch form {
        case .session(let name): name
        case .legacy: startURL
        }
    }

    /// The settings of `profile` as botocore's `SSOProvider` checks them, with the endpoints, CA bundle and
    /// retries of `environment` and the profile; `retry` is the policy before botocore's attempt settings apply.
    public init(profile: Profile, environment: [String: String], retry: RetryPolicy) throws(SSOSourceError) {
        let name = profile.name
        var merged: [String: String] = [:]
        for key in Self.keys {
            if profile.sections[key] != nil { throw .notAValue(profile: name, key: key) }
            merged[key] = profile.values[key]
        }
        var required = ["sso_role_name", "sso_account_id", "sso_start_url", "sso_region"]
        var sessionName: String?
        if let session = profile.values["sso_session"] {
            guard let settings = profile.ssoSession else { throw .noSuchSession(session) }
            for key in settings.keys.sorted() {
                let value = settings[key]!
                if let own = profile.values[key], !own.utf8.elementsEqual(value.utf8) {
                    throw .inconsistent(key: key, profileValue: own, sessionValue: value)
                }
                if Self.keys.contains(key) { merged[key] = value }
            }
            required.append("sso_session")
            sessionName = session
        }
        let missing = required.filter { merged[$0] == nil }
        guard missing.isEmpty else { throw .missingSettings(profile: name, missing: missing) }
        // botocore's token provider reads these two from the session section alone, whatever the profile holds.
        if let sessionName, let settings = profile.ssoSession {
            let absent = ["sso_start_url", "sso_region"].filter { settings[$0] == nil }
            guard absent.isEmpty else { throw .incompleteSession(sessionName, missing: absent) }
        }
        for key in required where merged[key]!.isEmpty {
            throw .invalidSetting(profile: name, key: key, value: "", expected: Self.expected[key] ?? "a value")
        }
        self.profile = name
        form = sessionName.map { .session($0) } ?? .legacy
        startURL = merged["sso_start_url"]!
        region = merged["sso_region"]!
        accountId = merged["sso_account_id"]!
        roleName = merged["sso_role_name"]!
        guard STSConfiguration.isValidRegion(region) else {
            throw .invalidSetting(
                profile: name, key: "sso_region", value: region, expected: Self.expected["sso_region"]!)
        }
        do {
            portal = try Self.endpoint(
                serviceID: "sso", host: "portal.sso", region: region, environment: environment, profile: profile)
            oidc = try Self.endpoint(
                serviceID: "sso_oidc", host: "oidc", region: region, environment: environment, profile: profile)
            caBundlePath = try STSConfiguration.configuredCABundle(environment: environment, profile: profile)?.path
            self.retry = try retry.configured(environment: environment, profile: profile)
        } catch {
            throw .setting(profile: name, error: error)
        }
        tokenDirectory = homeDirectory(environment).map { $0 + "/.aws/sso/cache" }
    }

    /// The settings an SSO profile may hold (and its session section may repeat).
    static let keys = ["sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name"]

    static let expected = [
        "sso_session": "the name of an [sso-session NAME] section",
        "sso_start_url": "the AWS access portal URL, such as https://my-sso-portal.awsapps.com/start",
        "sso_region": "the region of IAM Identity Center, such as eu-west-1",
        "sso_account_id": "the 12-digit account id",
        "sso_role_name": "the permission set's role name",
    ]

    /// The configured endpoint of `serviceID` (botocore's `ConfiguredEndpointProvider`), else the regional one.
    private static func endpoint(
        serviceID: String, host: String, region: String, environment: [String: String], profile: Profile
    ) throws(STSError) -> STSEndpoint {
        if let configured = try ConfiguredEndpoint.find(
            serviceID: serviceID, environment: environment, profile: profile)
        {
            guard let endpoint = STSEndpoint(url: configured.url, source: configured.source) else {
                throw .invalidSetting(
                    name: configured.source, value: configured.url,
                    expected: "an http:// or https:// URL without user, query or fragment")
            }
            return endpoint
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        // A valid region makes a valid host.
        return STSEndpoint(url: "https://\(host).\(region).\(suffix)", source: "regional")!
    }
}

/// `HOME`, else the password database's home of the effective user, as Python's `expanduser("~")`.
func homeDirectory(_ environment: [String: String]) -> String? {
    if let home = environment["HOME"] { return home.isEmpty ? nil : home }
    guard let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir else { return nil }
    let home = String(cString: directory)
    return home.isEmpty ? nil : home
}
