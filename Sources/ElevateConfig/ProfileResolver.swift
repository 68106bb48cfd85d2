import ElevateCore

/// The `credential_source` values botocore accepts, and the source plugin that serves each.
enum CredentialSource: String, CaseIterable, Sendable {
    case environment = "Environment"
    case ec2InstanceMetadata = "Ec2InstanceMetadata"
    case ecsContainer = "EcsContainer"

    var plugin: String {
        switch self {
        case .environment: "env"
        case .ec2InstanceMetadata: "imds"
        case .ecsContainer: "ecs"
        }
    }
}

/// Turns a profile into a ``Plan``: where the first credentials come from, then one `assume-role` hop per profile
/// that holds `role_arn`, in the order botocore would assume them.
///
/// The rules are botocore's (`AssumeRoleProvider` and the profile provider chain):
/// - The requested profile with `role_arn` (and no `web_identity_token_file`) is assumed from exactly one of
///   `source_profile` or `credential_source` (`Environment` → `env`, `Ec2InstanceMetadata` → `imds`,
///   `EcsContainer` → `ecs`).
/// - A `source_profile` is followed recursively, except that a source profile holding static keys uses those keys
///   and ignores its own `role_arn`. A profile may name itself as `source_profile` only when it holds static keys;
///   any other return to a visited profile is a loop.
/// - Without `role_arn`, a profile yields credentials in botocore's order: static keys from the credentials file,
///   then `credential_process`, then static keys from the config file. aws-elevate runs no credential process: a
///   `credential_process` that would be used is an error, and one that runs aws-elevate itself is reported as
///   recursion. Web identity, SSO and login settings that botocore would use first are reported as unsupported.
/// - aws-elevate's extension: `credential_source` without `role_arn` makes the machine's own identity the source.
public struct ProfileResolver: Sendable {
    /// The merged files the profiles come from.
    public var config: AWSConfig
    /// Whether the first word of a `credential_process` command line runs aws-elevate.
    public var isSelf: @Sendable (String) -> Bool

    /// A resolver over `config`; `isSelf` recognises aws-elevate's own command so that recursion is caught.
    public init(config: AWSConfig, isSelf: @escaping @Sendable (String) -> Bool) {
        self.config = config
        self.isSelf = isSelf
    }

    /// The plan for profile `name`. `Plan.region` is that profile's `region`, `nil` when unset or empty.
    public func plan(for name: String) throws(ConfigError) -> Plan {
        guard let profile = config.profile(named: name) else {
            throw .profileNotFound(name: name, searched: config.searched)
        }
        let (source, hops) = try resolve(profile, chain: [name], requested: true)
        let region = profile["region"].flatMap { $0.isEmpty ? nil : $0 }
        return Plan(profile: name, source: source, hops: hops, region: region)
    }

    private func resolve(_ profile: Profile, chain: [String], requested: Bool) throws(ConfigError) -> (Step, [Step]) {
        let assumes = has(profile, "role_arn") && !has(profile, "web_identity_token_file")
        // Static keys take precedence over role_arn in a source profile; only the requested one is always assumed.
        if assumes && (requested || !hasStaticKeys(profile)) {
            return try assumeRole(profile, chain: chain)
        }
        return (try baseStep(profile, chain: chain), [])
    }

    private func assumeRole(_ profile: Profile, chain: [String]) throws(ConfigError) -> (Step, [Step]) {
        let field = Field(profile: profile, chain: chain, config: config)
        _ = try field.text("role_arn")
        let hop = Step(plugin: "assume-role", profile: profile)
        let hasSourceProfile = has(profile, "source_profile")
        let hasCredentialSource = has(profile, "credential_source")
        if hasSourceProfile && hasCredentialSource {
            throw .bothSources(chain: chain, at: field.location("credential_source"))
        }
        if !hasSourceProfile && !hasCredentialSource {
            throw .noSource(chain: chain, at: field.location("role_arn"))
        }
        if hasCredentialSource {
            return (try machineIdentity(field), [hop])
        }
        let sourceName = try field.text("source_profile")!
        guard let source = config.profile(named: sourceName) else {
            throw .sourceProfileNotFound(
                chain: chain, name: sourceName, at: field.location("source_profile"), searched: config.searched)
        }
        if chain.contains(where: { PythonText.same($0, sourceName) }) {
            let selfSourced = PythonText.same(sourceName, profile.name) && hasStaticKeys(profile)
            guard selfSourced else { throw .sourceProfileLoop(visited: chain + [sourceName]) }
        }
        let (first, hops) = try resolve(source, chain: chain + [sourceName], requested: false)
        return (first, hops + [hop])
    }

    /// Where a profile without a role to assume gets its credentials.
    private func baseStep(_ profile: Profile, chain: [String]) throws(ConfigError) -> Step {
        let field = Field(profile: profile, chain: chain, config: config)
        let name = profile.name
        // botocore's web identity provider comes first, and takes a profile with role_arn and the token file.
        if has(profile, "web_identity_token_file") {
            guard has(profile, "role_arn") else {
                throw .missingKey(
                    chain: chain, missing: "role_arn", present: "web_identity_token_file",
                    at: field.location("web_identity_token_file"))
            }
            return Step(plugin: "web-identity", profile: profile)
        }
        for key in ["sso_role_name", "sso_account_id"] where has(profile, key) {
            throw .unsupported(
                chain: chain, key: key, mechanism: "IAM Identity Center (SSO)", at: field.location(key))
        }
        if let fromCredentials = config.credentialsProfiles[PythonText.exactKey(name)],
            has(fromCredentials.profile, accessKeyId)
        {
            return try staticKeys(profile, from: fromCredentials, chain: chain)
        }
        if has(profile, "login_session") {
            throw .unsupported(
                chain: chain, key: "login_session", mechanism: "login sessions", at: field.location("login_session"))
        }
        if let command = try field.text("credential_process") {
            if let program = shellWords(command)?.first, isSelf(program) {
                throw .runsItself(chain: chain, at: field.location("credential_process"))
            }
            return Step(plugin: "process", profile: profile)
        }
        if let fromConfig = config.configProfiles[PythonText.exactKey(name)], has(fromConfig.profile, accessKeyId) {
            return try staticKeys(profile, from: fromConfig, chain: chain)
        }
        for key in [secretAccessKey] + sessionTokenKeys where has(profile, key) {
            throw .missingKey(chain: chain, missing: accessKeyId, present: key, at: field.location(key))
        }
        if has(profile, "credential_source") {
            return try machineIdentity(field)
        }
        throw .noCredentials(
            chain: chain, lookedFor: ["role_arn", accessKeyId, "credential_source", "credential_process"])
    }

    /// The `credential_source` of a profile as a source step.
    private func machineIdentity(_ field: Field) throws(ConfigError) -> Step {
        let value = try field.text("credential_source")!
        guard let source = CredentialSource(rawValue: value) else {
            throw .unknownCredentialSource(chain: field.chain, value: value, at: field.location("credential_source"))
        }
        return Step(plugin: source.plugin, profile: field.profile)
    }

    /// A `profile` source step with the keys of one file, as botocore takes them (the id, the secret and the first
    /// of `aws_security_token`, `aws_session_token` from the same file). The step's profile holds those credential
    /// keys only, so the source plugin cannot mix keys of the two files.
    private func staticKeys(_ merged: Profile, from file: FileProfile, chain: [String]) throws(ConfigError) -> Step {
        let field = Field(profile: file.profile, chain: chain, config: config, locations: file.locations)
        let keyId = try field.text(accessKeyId)!
        guard let secret = try field.text(secretAccessKey) else {
            throw .missingKey(
                chain: chain, missing: secretAccessKey, present: accessKeyId, at: field.location(accessKeyId))
        }
        var profile = merged
        for key in [accessKeyId, secretAccessKey] + sessionTokenKeys {
            profile.values[key] = nil
            profile.sections[key] = nil
        }
        profile.values[accessKeyId] = keyId
        profile.values[secretAccessKey] = secret
        if let tokenKey = sessionTokenKeys.first(where: { has(file.profile, $0) }) {
            profile.values[tokenKey] = try field.text(tokenKey)
        }
        return Step(plugin: "profile", profile: profile)
    }
}

private let accessKeyId = "aws_access_key_id"
private let secretAccessKey = "aws_secret_access_key"
/// In botocore's order of preference.
private let sessionTokenKeys = ["aws_security_token", "aws_session_token"]

private func has(_ profile: Profile, _ key: String) -> Bool {
    profile.values[key] != nil || profile.sections[key] != nil
}

/// botocore counts either half of the key pair as "has static credentials".
private func hasStaticKeys(_ profile: Profile) -> Bool {
    has(profile, accessKeyId) || has(profile, secretAccessKey)
}

/// Reads single settings of one profile, with errors that name the chain and the line.
private struct Field {
    var profile: Profile
    var chain: [String]
    var config: AWSConfig
    var locations: [String: FileLocation]?

    /// The value of `key`, `nil` when absent; an empty value or a sub-section is an error.
    func text(_ key: String) throws(ConfigError) -> String? {
        if profile.sections[key] != nil { throw .notAValue(chain: chain, key: key, at: location(key)) }
        guard let value = profile.values[key] else { return nil }
        if value.isEmpty { throw .emptyValue(chain: chain, key: key, at: location(key)) }
        return value
    }

    func location(_ key: String) -> FileLocation? {
        if let locations { return locations[key] }
        return config.location(of: key, in: profile.name)
    }
}
