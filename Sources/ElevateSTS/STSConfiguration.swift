#if canImport(Glibc)
    import Glibc
#endif
import ElevateCore

/// An STS endpoint: where requests go and the host they are signed for.
public struct STSEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The URL requests are posted to, such as `https://sts.eu-west-1.amazonaws.com/`.
    public var url: String
    /// The `Host` header sent and signed, as botocore computes it: lower case, the port only when it is not the
    /// scheme's default, such as `sts.eu-west-1.amazonaws.com` or `127.0.0.1:5000`.
    public var host: String
    /// The request path, `/` unless the configured URL has one.
    public var path: String
    /// Where the endpoint came from, for `--debug`: `AWS_ENDPOINT_URL_STS`, `regional`, ….
    public var source: String

    /// The endpoint at `url` (`http://` or `https://`, no user information, query or fragment), or `nil` when the
    /// URL cannot be used.
    public init?(url: String, source: String) {
        guard let parts = URLParts(url) else { return nil }
        self.url = parts.scheme + "://" + parts.authority + parts.path
        self.host = parts.signingHost
        self.path = parts.path
        self.source = source
    }

    /// The scheme and authority, such as `https://sts.eu-west-1.amazonaws.com`: safe to show.
    public var description: String {
        url.hasSuffix(path) ? String(url.dropLast(path.count)) : url
    }
}

/// Where and how STS is called, resolved from the environment and a profile with botocore's precedence.
///
/// - Endpoint: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then `endpoint_url` under `sts` in the
///   `[services NAME]` section the profile's `services` key names, then the profile's `endpoint_url` (all four
///   ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's `ignore_configured_endpoint_urls` is
///   `true`), then the regional endpoint `https://sts.REGION.amazonaws.com`, or the global `https://sts.amazonaws.com`
///   signed for `us-east-1` when `AWS_STS_REGIONAL_ENDPOINTS` / `sts_regional_endpoints` is `legacy` and the region
///   is one of botocore's legacy global regions.
/// - Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, the machine's region (from instance
///   metadata), else `us-east-1`.
/// - CA bundle: `AWS_CA_BUNDLE`, then the profile's `ca_bundle`; it replaces the system's CAs, as in botocore.
///
/// An environment variable wins over the profile key of the same meaning, and an empty value counts as unset.
public struct STSConfiguration: Sendable, Equatable {
    /// Where requests go.
    public var endpoint: STSEndpoint
    /// The region requests are signed for.
    public var region: String
    /// Where the region came from, for `--debug`: `AWS_REGION`, `region in profile 'x'`, `default`, ….
    public var regionSource: String
    /// A PEM file of certificate authorities to trust instead of the system's: when set, it is the only trust.
    public var caBundlePath: String?
    /// Where the CA bundle came from, for messages: `AWS_CA_BUNDLE` or `ca_bundle in profile 'x'`.
    public var caBundleSource: String?

    /// The region used when nothing names one.
    public static let defaultRegion = "us-east-1"

    /// botocore's `LEGACY_GLOBAL_STS_REGIONS`: with `sts_regional_endpoints = legacy` these use the global endpoint.
    public static let legacyGlobalRegions: Set<String> = [
        "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
        "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1", "us-east-2",
        "us-west-1", "us-west-2",
    ]

    /// A configuration given directly.
    public init(
        endpoint: STSEndpoint, region: String, regionSource: String = "given", caBundlePath: String? = nil,
        caBundleSource: String? = nil
    ) {
        self.endpoint = endpoint
        self.region = region
        self.regionSource = regionSource
        self.caBundlePath = caBundlePath
        self.caBundleSource = caBundleSource
    }

    /// The configuration `environment` and `profile` describe; `machineRegion` is the region instance metadata
    /// reported, if any.
    ///
    /// Throws ``STSError/invalidSetting(name:value:expected:)`` for an endpoint URL, a region, an
    /// `sts_regional_endpoints` value or a CA bundle that cannot be used.
    public static func resolve(
        environment: [String: String],
        profile: Profile?,
        machineRegion: String? = nil
    ) throws(STSError) -> STSConfiguration {
        let lookup = Lookup(environment: environment, profile: profile)

        var region = Setting(name: "default", text: defaultRegion)
        if let found = lookup.env("AWS_REGION") ?? lookup.env("AWS_DEFAULT_REGION") ?? lookup.key("region") {
            region = found
        } else if let machineRegion, !machineRegion.isEmpty {
            region = Setting(name: "instance metadata region", text: machineRegion)
        }
        guard isValidRegion(region.text) else {
            throw .invalidSetting(
                name: region.name, value: region.text, expected: "a region name such as eu-west-1")
        }

        let caBundle = try configuredCABundle(environment: environment, profile: profile)
        if let configured = try ConfiguredEndpoint.find(serviceID: "sts", environment: environment, profile: profile) {
            guard let endpoint = STSEndpoint(url: configured.url, source: configured.source) else {
                throw .invalidSetting(
                    name: configured.source, value: configured.url,
                    expected: "an http:// or https:// URL without user, query or fragment, such as "
                        + "https://sts.eu-west-1.amazonaws.com")
            }
            return STSConfiguration(
                endpoint: endpoint, region: region.text, regionSource: region.name, caBundlePath: caBundle?.path,
                caBundleSource: caBundle?.source)
        }

        var legacy = false
        if let mode = lookup.env("AWS_STS_REGIONAL_ENDPOINTS") ?? lookup.key("sts_regional_endpoints") {
            switch mode.text {
            case "regional": legacy = false
            case "legacy": legacy = true
            default: throw .invalidSetting(name: mode.name, value: mode.text, expected: "regional or legacy")
            }
        }
        let global = region.text == "aws-global" || (legacy && legacyGlobalRegions.contains(region.text))
        let suffix = region.text.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let url = global ? "https://sts.amazonaws.com" : "https://sts.\(region.text).\(suffix)"
        guard
            let endpoint = STSEndpoint(url: url, source: global ? (legacy ? "global (legacy)" : "global") : "regional")
        else {
            throw .invalidSetting(name: region.name, value: region.text, expected: "a region name such as eu-west-1")
        }
        return STSConfiguration(
            endpoint: endpoint, region: global ? "us-east-1" : region.text, regionSource: region.name,
            caBundlePath: caBundle?.path, caBundleSource: caBundle?.source)
    }

    /// The CA bundle `environment` and `profile` configure for every AWS client: `AWS_CA_BUNDLE`, then the profile's
    /// `ca_bundle`; `nil` when neither is set. `source` names the setting, for messages.
    ///
    /// Throws ``STSError/invalidSetting(name:value:expected:)`` when the file cannot be read.
    public static func configuredCABundle(environment: [String: String], profile: Profile?) throws(STSError)
        -> (path: String, source: String)?
    {
        let lookup = Lookup(environment: environment, profile: profile)
        guard let bundle = lookup.env("AWS_CA_BUNDLE") ?? lookup.key("ca_bundle") else { return nil }
        guard !bundle.text.utf8.contains(0), access(bundle.text, R_OK) == 0 else {
            throw .invalidSetting(name: bundle.name, value: bundle.text, expected: "a readable PEM file")
        }
        return (bundle.text, bundle.name)
    }

    /// botocore's region pattern: letters, digits and inner hyphens, at most 63 characters.
    public static func isValidRegion(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}

/// A value and the name of the setting it came from.
struct Setting {
    var name: String
    var text: String
}

/// Reads settings from the environment and one profile; empty values count as unset.
struct Lookup {
    var environment: [String: String]
    var profile: Profile?

    func env(_ name: String) -> Setting? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        return Setting(name: name, text: text)
    }

    func key(_ key: String) -> Setting? {
        guard let profile, let text = profile[key], !text.isEmpty else { return nil }
        return Setting(name: "\(key) in profile '\(singleLine(profile.name))'", text: text)
    }

    /// `endpoint_url` of `serviceID` in the `[services NAME]` section the profile's `services` key names. A name
    /// without such a section is an error, as in botocore.
    func serviceEndpoint(_ serviceID: String) throws(STSError) -> Setting? {
        guard let profile, let services = key("services") else { return nil }
        guard let settings = profile.serviceSettings else {
            throw .invalidSetting(
                name: services.name, value: services.text,
                expected: "the name of a [services NAME] section in the config file")
        }
        guard let url = settings[serviceID]?["endpoint_url"], !url.isEmpty else { return nil }
        return Setting(name: "endpoint_url of \(serviceID) in [services \(singleLine(services.text))]", text: url)
    }
}

/// An endpoint URL configured for one AWS service, found where botocore's `ConfiguredEndpointProvider` looks:
/// `AWS_ENDPOINT_URL_<SERVICE_ID>`, then `AWS_ENDPOINT_URL`, then `endpoint_url` under the service in the
/// `[services NAME]` section the profile's `services` key names, then the profile's `endpoint_url`; none of them when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's `ignore_configured_endpoint_urls` is `true`. Empty values
/// count as unset.
public struct ConfiguredEndpoint: Sendable, Equatable {
    /// The URL as configured (not checked here).
    public var url: String
    /// The setting it came from, for messages: `AWS_ENDPOINT_URL_SSO`, `endpoint_url in profile 'x'`, ….
    public var source: String

    public init(url: String, source: String) {
        self.url = url
        self.source = source
    }

    /// The endpoint configured for the service whose snake-case id (botocore's service id, lower case, hyphens as
    /// underscores) is `serviceID`, such as `sts`, `sso` or `sso_oidc`; `nil` when none is.
    ///
    /// Throws ``STSError/invalidSetting(name:value:expected:)`` when the profile's `services` key names no section.
    public static func find(serviceID: String, environment: [String: String], profile: Profile?) throws(STSError)
        -> ConfiguredEndpoint?
    {
        let lookup = Lookup(environment: environment, profile: profile)
        if let ignore = lookup.env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            ?? lookup.key("ignore_configured_endpoint_urls")
        {
            // botocore's ensure_boolean: "true" in any case is true, anything else false.
            if ignore.text.lowercased() == "true" { return nil }
        }
        var found = lookup.env("AWS_ENDPOINT_URL_" + serviceID.uppercased()) ?? lookup.env("AWS_ENDPOINT_URL")
        if found == nil {
            let service = try lookup.serviceEndpoint(serviceID)
            found = service ?? lookup.key("endpoint_url")
        }
        return found.map { ConfiguredEndpoint(url: $0.text, source: $0.name) }
    }
}

func isAlphanumeric(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default:
        false
    }
}

/// The parts of an endpoint URL that requests and signatures need.
struct URLParts {
    /// `http` or `https`, lower case.
    var scheme: String
    /// `host` or `host:port` as written, the host lower-cased.
    var authority: String
    /// The host as botocore signs it: the port only when it is not the scheme's default.
    var signingHost: String
    /// The path, `/` when the URL has none.
    var path: String

    init?(_ url: String) {
        // Only printable ASCII: the URL goes into libcurl and into messages, and on ASCII the Character-level
        // searches below are byte-exact (no mark can join a `@` or `:` into another Character).
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        guard let separator = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = url[separator.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash].lowercased()
        let path = rest[slash...].isEmpty ? "/" : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@") else { return nil }

        var host = authority
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
            guard host.count > 2 else { return nil }
        } else if let colon = authority.firstIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = number
        }
        guard !host.isEmpty else { return nil }
        if let port {
            guard (1...65535).contains(port) else { return nil }
        }
        let defaultPort = scheme == "https" ? 443 : 80
        self.scheme = scheme
        self.authority = authority
        self.signingHost = port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        self.path = path
    }
}
