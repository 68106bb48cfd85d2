#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCore
import ElevateCrypto
import ElevateSTS

/// Source plugin `sso`: role credentials from IAM Identity Center (AWS SSO) for the token `aws sso login` cached,
/// as botocore's `SSOProvider` gets them.
///
/// Chosen for a profile with `sso_account_id` or `sso_role_name` (after web identity, before every other source, as
/// in botocore). The token is read from `~/.aws/sso/cache/<sha1 hex>.json` (the hash of the session name, or of the
/// start URL for the legacy form) and exchanged through the portal's GetRoleCredentials. For `sso_session`, a token
/// with less than 15 minutes left is first refreshed through SSO-OIDC CreateToken with the cached refresh token and
/// written back, exactly when botocore's `SSOTokenProvider` would; the legacy form is never refreshed. There is no
/// login flow: a missing or expired session says to run `aws sso login`.
public struct SSOSource: SourcePlugin {
    public let name = "sso"
    public let summary = "IAM Identity Center role credentials for the token 'aws sso login' cached (sso_session)"
    /// `sso_role_name` or `sso_account_id`, in botocore's SSO place.
    public var selection: SourceSelection {
        SourceSelection(ranks: [.sso], settings: ["sso_role_name", "sso_account_id"])
    }

    private let transport: any STSTransport
    private let retry: RetryPolicy

    public init() {
        self.init(transport: STSClient.standardTransport)
    }

    /// The plugin with another transport or retry policy (tests, embedding). The default policy is botocore's
    /// standard mode: 3 attempts.
    public init(transport: any STSTransport, retry: RetryPolicy = RetryPolicy(maxAttempts: 3)) {
        self.transport = transport
        self.retry = retry
    }

    /// The profile's SSO settings and where the services are reached, checked as botocore checks them.
    public func settings(for step: Step, context: RunContext) throws(SSOSourceError) -> SSOSettings {
        try SSOSettings(profile: step.profile, environment: context.environment, retry: retry)
    }

    /// The role credentials. Never `nil`: the plan names this source only for a profile with SSO settings.
    public func credentials(for step: Step, settings: SSOSettings, context: RunContext) async throws -> Credentials? {
        try await fetch(settings, context: context)
    }

    /// The session (or start URL), the start URL, the region, the account, the role and the portal: what decides
    /// the credentials, never the token, so that a refreshed token keeps the cached session and a hit reads no file.
    public func cacheIdentity(for step: Step, settings: SSOSettings, context: RunContext) -> [String: String]? {
        var identity = [
            "sso_start_url": settings.startURL, "sso_region": settings.region, "sso_account_id": settings.accountId,
            "sso_role_name": settings.roleName, "portal": settings.portal.url,
        ]
        if case .session(let name) = settings.form { identity["sso_session"] = name }
        return identity
    }

    /// The credentials `settings` describe; debug lines go to `context.logger`.
    public func fetch(_ settings: SSOSettings, context: RunContext) async throws(SSOSourceError) -> Credentials {
        let logger = context.logger
        let login = SSOLogin(form: settings.form, profile: settings.profile)
        guard let directory = settings.tokenDirectory else { throw .noHome(login) }
        let digest: [UInt8]
        do {
            digest = try sha1(Array(settings.tokenKey.utf8))
        } catch {
            throw .digest(detail: error.description)
        }
        let path = directory + "/" + lowercaseHex(digest) + ".json"
        logger.debug("sso: token of \(login.subject) from '\(singleLine(path))'")
        let client = SSOClient(
            settings: settings, transport: transport, log: { line in logger.debug("\(line)") })
        var token = try SSOTokenCache.read(path, login: login)
        let now = context.now()
        if case .session = settings.form, token.expiresAt.timeIntervalSince(now) < SSOTokenCache.refreshWindow {
            if let refreshed = try await refresh(
                token, settings: settings, path: path, client: client, context: context)
            {
                token = refreshed
            }
        }
        guard token.expiresAt > context.now() else {
            throw .expired(login, at: Timestamp.format(token.expiresAt))
        }
        let credentials = try await client.roleCredentials(accessToken: token.accessToken, login: login)
        logger.debug("sso: key \(credentials.maskedAccessKeyId), expires \(Timestamp.format(credentials.expiration!))")
        return credentials
    }

    /// botocore's `SSOTokenProvider._refresh_access_token`: `nil` (keep the cached token) when a field is missing,
    /// the client registration has expired or the service refuses; the new token, written back, otherwise.
    private func refresh(
        _ token: SSOToken, settings: SSOSettings, path: String, client: SSOClient, context: RunContext
    ) async throws(SSOSourceError) -> SSOToken? {
        let logger = context.logger
        let login = SSOLogin(form: settings.form, profile: settings.profile)
        let missing = SSOTokenCache.refreshFields.filter { !token.names.contains($0) }
        guard missing.isEmpty else {
            logger.debug("sso: the token cannot be refreshed: it has no \(join(missing, separator: ", "))")
            return nil
        }
        var fields: [String: String] = [:]
        for name in SSOTokenCache.refreshFields {
            guard let value = token.text[name] else {
                throw .badTokenFile(login, path: path, reason: "its \(name) is not text")
            }
            fields[name] = value
        }
        guard let registrationExpiresAt = SSOTokenCache.parseTime(fields["registrationExpiresAt"]!) else {
            throw .badTokenFile(login, path: path, reason: "its registrationExpiresAt is not a time")
        }
        guard registrationExpiresAt > context.now() else {
            logger.debug("sso: the client registration expired at \(Timestamp.format(registrationExpiresAt))")
            return nil
        }
        let outcome = try await client.createToken(
            clientId: fields["clientId"]!, clientSecret: fields["clientSecret"]!,
            refreshToken: fields["refreshToken"]!)
        switch outcome {
        case .failed(let status, let detail):
            logger.debug("sso: the token refresh failed with status \(status): \(detail)")
            return nil
        case .token(let accessToken, let expiresIn, let refreshToken):
            let expiresAt = Date(
                timeIntervalSince1970: (context.now().timeIntervalSince1970 + expiresIn).rounded(.down))
            var written: [(String, String)] = [
                ("startUrl", settings.startURL), ("region", settings.region), ("accessToken", accessToken),
                ("expiresAt", Timestamp.format(expiresAt)), ("clientId", fields["clientId"]!),
                ("clientSecret", fields["clientSecret"]!), ("registrationExpiresAt", fields["registrationExpiresAt"]!),
            ]
            if let refreshToken { written.append(("refreshToken", refreshToken)) }
            try SSOTokenCache.write(SSOTokenCache.document(written), to: path)
            logger.debug(
                "sso: token refreshed, expires \(Timestamp.format(expiresAt)), written to '\(singleLine(path))'")
            var text: [String: String] = [:]
            for (name, value) in written { text[name] = value }
            return SSOToken(accessToken: accessToken, expiresAt: expiresAt, text: text, names: Set(text.keys))
        }
    }
}
