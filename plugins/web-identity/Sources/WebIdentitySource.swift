#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import ElevateSTS

/// Source plugin `web-identity`: a role session from `sts:AssumeRoleWithWebIdentity`, authenticated by the OIDC
/// token in `web_identity_token_file` (EKS service accounts, CI systems' OIDC tokens), as botocore does for a profile
/// with `role_arn` and `web_identity_token_file`.
///
/// The request is not signed (the token is the proof); the token file is read on every fetch, since its owner
/// rotates it. STS is reached as for `assume-role` (endpoint, region, CA bundle, retries).
public struct WebIdentitySource: SourcePlugin {
    public let name = "web-identity"
    public let summary = "sts:AssumeRoleWithWebIdentity with the OIDC token in web_identity_token_file"
    /// `web_identity_token_file` (with `role_arn`), first in botocore's order.
    public var selection: SourceSelection {
        SourceSelection(ranks: [.webIdentity], settings: ["web_identity_token_file"])
    }

    /// The largest token file read (a token is a few kilobytes).
    public static let tokenLimit = 64 * 1024

    private let transport: any STSTransport
    private let retry: RetryPolicy

    public init() {
        self.init(transport: STSClient.standardTransport, retry: .standard)
    }

    /// The plugin with another transport or retry policy (tests, embedding).
    public init(transport: any STSTransport, retry: RetryPolicy = .standard) {
        self.transport = transport
        self.retry = retry
    }

    /// The profile's web identity settings and where STS is reached; `nil` when the profile has no
    /// `web_identity_token_file` (the source does not apply).
    public func settings(for step: Step, context: RunContext) throws(WebIdentityError) -> WebIdentityBinding? {
        guard step.profile["web_identity_token_file"] != nil else { return nil }
        let settings = try WebIdentitySettings(profile: step.profile)
        do {
            return WebIdentityBinding(
                settings: settings,
                sts: try STSConfiguration.resolve(environment: context.environment, profile: step.profile),
                retry: try retry.configured(environment: context.environment, profile: step.profile))
        } catch {
            throw .sts(roleArn: settings.roleArn, error: error)
        }
    }

    public func credentials(for step: Step, settings binding: WebIdentityBinding?, context: RunContext) async throws
        -> Credentials?
    {
        guard let binding else { return nil }
        let settings = binding.settings
        let token = try readToken(settings.tokenFile)
        let logger = context.logger
        let client = STSClient(
            configuration: binding.sts, transport: transport, retry: binding.retry, now: context.now,
            log: { line in logger.debug("web-identity: \(line)") })
        // botocore names an unnamed session after the time; so does this, under its own prefix.
        let sessionName = settings.roleSessionName ?? "aws-elevate-\(Int(context.now().timeIntervalSince1970))"
        let request = AssumeRoleWithWebIdentityRequest(
            roleArn: settings.roleArn, roleSessionName: sessionName, webIdentityToken: token)
        logger.debug("web-identity: assume \(request) with the token in '\(singleLine(settings.tokenFile))'")
        do {
            return try await client.assumeRoleWithWebIdentity(request)
        } catch {
            throw WebIdentityError.sts(roleArn: settings.roleArn, error: error)
        }
    }

    /// The role, the session name setting, the token file's path (not its content: a rotated token yields the
    /// same role) and where STS is reached.
    public func cacheIdentity(for step: Step, settings binding: WebIdentityBinding?, context: RunContext)
        -> [String: String]?
    {
        guard let binding else { return nil }
        let (settings, configuration) = (binding.settings, binding.sts)
        return [
            "role_arn": settings.roleArn, "role_session_name": settings.roleSessionName ?? "",
            "web_identity_token_file": settings.tokenFile, "region": configuration.region,
            "endpoint": configuration.endpoint.url,
        ]
    }

    /// The token in `path`, without surrounding white space.
    func readToken(_ path: String) throws(WebIdentityError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw .unreadableToken(path: path, reason: errnoText(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadableToken(path: path, reason: errnoText(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadableToken(path: path, reason: "not a regular file") }
        switch readAll(fd: fd, sizeHint: Int(info.st_size), limit: Self.tokenLimit) {
        case .bytes(let bytes):
            let token = trimmingWhitespace(String(decoding: bytes, as: UTF8.self))
            guard !token.isEmpty else { throw .unreadableToken(path: path, reason: "the file is empty") }
            return token
        case .tooLarge:
            throw .unreadableToken(path: path, reason: "it is larger than 64 KiB, which no token is")
        case .failed(let code):
            throw .unreadableToken(path: path, reason: errnoText(code))
        }
    }
}

/// What the `web-identity` source reads of a step, once: the profile's settings and how STS is reached.
public struct WebIdentityBinding: Sendable {
    var settings: WebIdentitySettings
    var sts: STSConfiguration
    var retry: RetryPolicy
}

/// The web identity settings of a profile, checked before anything is sent.
struct WebIdentitySettings: Sendable, Equatable {
    var roleArn: String
    var tokenFile: String
    var roleSessionName: String?

    init(profile: Profile) throws(WebIdentityError) {
        func value(_ key: String) -> String? {
            guard let text = profile[key], !text.isEmpty else { return nil }
            return text
        }
        guard let file = value("web_identity_token_file") else {
            throw .invalidSetting(profile: profile.name, key: "web_identity_token_file", value: "",
                                  expected: "the path of the file holding the OIDC token")
        }
        tokenFile = file
        guard let arn = value("role_arn"), STSNames.isRoleArn(arn) else {
            throw .invalidSetting(profile: profile.name, key: "role_arn", value: profile["role_arn"] ?? "",
                                  expected: "a role ARN such as arn:aws:iam::123456789012:role/NAME")
        }
        roleArn = arn
        roleSessionName = value("role_session_name")
        if let name = roleSessionName, !STSNames.isRoleSessionName(name) {
            throw .invalidSetting(profile: profile.name, key: "role_session_name", value: name,
                                  expected: "2 to 64 characters of letters, digits and _+=,.@-")
        }
    }
}

/// Errors of the `web-identity` source. No message holds the token.
public enum WebIdentityError: ElevateFailure, Equatable {
    /// A setting of the profile cannot be used.
    case invalidSetting(profile: String, key: String, value: String, expected: String)
    /// The token file cannot be read, or holds no token.
    case unreadableToken(path: String, reason: String)
    /// STS (or the way to it) failed.
    case sts(roleArn: String, error: STSError)

    public var category: FailureCategory {
        switch self {
        case .invalidSetting: .configuration
        case .unreadableToken: .credentials
        case .sts(_, let error): error.category
        }
    }

    /// An unreadable token file is a missing source token.
    public var isDenial: Bool {
        switch self {
        case .invalidSetting: false
        case .unreadableToken: true
        case .sts(_, let error): error.isDenial
        }
    }

    public var problem: String {
        switch self {
        case .invalidSetting(let profile, let key, let value, let expected):
            "web identity (profile '\(singleLine(profile))'): invalid value '\(singleLine(value))' for \(key): "
                + "expected \(expected)"
        case .unreadableToken(let path, let reason):
            "web identity token file '\(singleLine(path))' cannot be read: \(reason)"
        case .sts(let roleArn, let error):
            "web identity (\(singleLine(roleArn))): \(error.problem)"
        }
    }

    public var remedy: String {
        switch self {
        case .invalidSetting: "correct the setting in the profile, or remove it"
        case .unreadableToken:
            "point web_identity_token_file at the token your platform writes (on EKS, the service account's "
                + "projected token), readable by this user"
        case .sts(_, let error): error.remedy
        }
    }
}
