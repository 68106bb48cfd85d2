import ElevateCore

/// The `credential_source` values botocore accepts: the canonical names of the providers its assume-role provider
/// may start from (`CanonicalNameCredentialSourcer`), compared exactly. Which plugin serves each is the plugin's own
/// declaration (``SourceSelection/credentialSource``).
public enum CredentialSource: String, CaseIterable, Sendable {
    case environment = "Environment"
    case ec2InstanceMetadata = "Ec2InstanceMetadata"
    case ecsContainer = "EcsContainer"
}

/// Turns a profile into a ``Plan``: where the first credentials come from, then one hop per profile that holds a
/// setting an elevation plugin declares (`role_arn`), in the order botocore would assume them.
///
/// The rules are botocore's (`AssumeRoleProvider` and the profile provider chain); the plugin for each step is the
/// one the registry holds for it (``SourceSelection``, ``ElevationPlugin/selectingSettings``):
/// - The requested profile with `role_arn` (and no web identity settings) is assumed from exactly one of
///   `source_profile` or `credential_source`, whose value picks the source that declares it.
/// - A `source_profile` is followed recursively, except that a source profile holding static keys uses those keys
///   and ignores its own `role_arn`. A profile may name itself as `source_profile` only when it holds static keys;
///   any other return to a visited profile is a loop.
/// - Without `role_arn`, a profile yields credentials in botocore's order (``SourceRank``): web identity, then SSO
///   (`sso_account_id` or `sso_role_name`), then static keys from the credentials file, then `credential_process`,
///   then static keys from the config file. A `credential_process` that runs aws-elevate itself is reported as
///   recursion; login settings are reported as unsupported.
/// - aws-elevate's extension: `credential_source` without `role_arn` makes the machine's own identity the source.
/// - A requested profile holding none of that starts, as botocore's default chain does, from a source whose
///   environment variables are set (the container credential endpoint).
/// - aws-elevate's plugin settings, which botocore ignores: `elevate_source = NAME` names the source plugin (built in,
///   else a process plugin) a profile starts from, in place of `source_profile` or `credential_source` (with
///   `role_arn` or `elevate_plugin`, which then elevate from it) and of every setting botocore would take
///   credentials from; any of those next to it is an error, so that no profile means one thing to botocore and
///   another to aws-elevate. `elevate_plugin = NAME` makes a profile a hop through that elevation plugin (default
///   the one `role_arn` selects), with the same sources as `role_arn`.
public struct ProfileResolver: Sendable {
    /// The merged files the profiles come from.
    public var config: AWSConfig
    /// The plugins that may serve the steps.
    public var registry: PluginRegistry
    /// The process environment (or a test's stand-in): it may choose the source of a profile with nothing else.
    public var environment: [String: String]
    /// Whether the first word of a `credential_process` command line runs aws-elevate.
    public var isSelf: @Sendable (String) -> Bool

    /// A resolver over `config` with the plugins of `registry`; `isSelf` recognises aws-elevate's own command so
    /// that recursion is caught.
    public init(
        config: AWSConfig, registry: PluginRegistry, environment: [String: String],
        isSelf: @escaping @Sendable (String) -> Bool
    ) {
        self.config = config
        self.registry = registry
        self.environment = environment
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

    private func resolve(_ profile: Profile, chain: [String], requested: Bool) throws(ConfigError)
        -> (SourceStep, [HopStep])
    {
        // botocore's assume-role provider leaves a profile with web identity settings to the web identity provider.
        let webIdentity = selecting(.webIdentity, profile)
        if let (_, key) = webIdentity, has(profile, elevatePlugin) {
            let field = Field(profile: profile, chain: chain, config: config)
            throw .conflictingSettings(chain: chain, key: elevatePlugin, other: key, at: field.location(elevatePlugin))
        }
        let assumes = (has(profile, roleArn) || has(profile, elevatePlugin)) && webIdentity == nil
        // Static keys take precedence over role_arn in a source profile; only the requested one is always assumed.
        if assumes && (requested || !hasStaticKeys(profile)) {
            return try assumeRole(profile, chain: chain)
        }
        return (try baseStep(profile, chain: chain, requested: requested), [])
    }

    /// The source registered at `rank` and the setting of `profile` that chooses it, when it holds one.
    private func selecting(_ rank: SourceRank, _ profile: Profile) -> (plugin: any SourcePlugin, key: String)? {
        guard let plugin = registry.source(at: rank),
            let key = plugin.selection.settings.first(where: { has(profile, $0) })
        else { return nil }
        return (plugin, key)
    }

    private func assumeRole(_ profile: Profile, chain: [String]) throws(ConfigError) -> (SourceStep, [HopStep]) {
        let field = Field(profile: profile, chain: chain, config: config)
        let elevation: any ElevationPlugin
        if has(profile, roleArn) { _ = try field.text(roleArn) }
        if has(profile, elevatePlugin) {
            elevation = try namedElevation(field)
            // A built-in elevation named outright still needs what would have selected it (`role_arn`).
            let needed = elevation.selectingSettings
            if let missing = needed.first, !needed.contains(where: { has(profile, $0) }) {
                throw .missingKey(
                    chain: chain, missing: missing, present: elevatePlugin, at: field.location(elevatePlugin))
            }
        } else if let selected = registry.elevation(selectedBy: roleArn) {
            elevation = selected
        } else {
            throw .noPlugin(chain: chain, setting: roleArn, at: field.location(roleArn))
        }
        let hop = HopStep(plugin: elevation, profile: profile)
        let hasSourceProfile = has(profile, "source_profile")
        let hasCredentialSource = has(profile, "credential_source")
        if hasSourceProfile && hasCredentialSource {
            throw .bothSources(chain: chain, at: field.location("credential_source"))
        }
        if has(profile, elevateSource) {
            return (try namedSource(field), [hop])
        }
        if !hasSourceProfile && !hasCredentialSource {
            guard has(profile, roleArn) else { throw .noPluginSource(chain: chain, at: field.location(elevatePlugin)) }
            throw .noSource(chain: chain, at: field.location(roleArn))
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

    /// Where a profile without a role to assume gets its credentials, in botocore's order.
    private func baseStep(_ profile: Profile, chain: [String], requested: Bool) throws(ConfigError) -> SourceStep {
        let field = Field(profile: profile, chain: chain, config: config)
        let name = profile.name
        if has(profile, elevateSource) { return try namedSource(field) }
        // botocore's web identity provider comes first, and takes a profile with role_arn and the token file.
        if let (plugin, key) = selecting(.webIdentity, profile) {
            guard has(profile, roleArn) else {
                throw .missingKey(chain: chain, missing: roleArn, present: key, at: field.location(key))
            }
            return SourceStep(plugin: plugin, profile: profile)
        }
        // botocore's SSO provider: sso_account_id or sso_role_name; the plugin checks the rest when it binds.
        if let (plugin, _) = selecting(.sso, profile) {
            return SourceStep(plugin: plugin, profile: profile)
        }
        if let fromCredentials = config.credentialsProfile(named: name),
            let (plugin, _) = selecting(.credentialsFile, fromCredentials.profile)
        {
            return try staticKeys(plugin, profile, from: fromCredentials, chain: chain)
        }
        if has(profile, "login_session") {
            throw .unsupported(
                chain: chain, key: "login_session", mechanism: "login sessions", at: field.location("login_session"))
        }
        if let (plugin, key) = selecting(.process, profile), let command = try field.text(key) {
            if let program = shellWords(command)?.first, isSelf(program) {
                throw .runsItself(chain: chain, at: field.location(key))
            }
            return SourceStep(plugin: plugin, profile: profile)
        }
        if let fromConfig = config.configProfile(named: name),
            let (plugin, _) = selecting(.configFile, fromConfig.profile)
        {
            return try staticKeys(plugin, profile, from: fromConfig, chain: chain)
        }
        for key in [secretAccessKey] + sessionTokenKeys where has(profile, key) {
            throw .missingKey(chain: chain, missing: accessKeyId, present: key, at: field.location(key))
        }
        if has(profile, "credential_source") {
            return try machineIdentity(field)
        }
        // botocore's default chain: the container provider comes after every provider of the profile.
        if requested, let plugin = registry.source(at: .container),
            plugin.selection.environment.contains(where: { environment[$0] != nil })
        {
            return SourceStep(plugin: plugin, profile: profile)
        }
        let settings = registry.sources.flatMap(\.selection.settings)
        throw .noCredentials(chain: chain, lookedFor: [roleArn] + settings + ["credential_source", elevateSource])
    }

    /// The source plugin `elevate_source` names. Every other setting that says where credentials come from is an
    /// error next to it, unless it selects the very plugin named (`elevate_source = process` with
    /// `credential_process`).
    private func namedSource(_ field: Field) throws(ConfigError) -> SourceStep {
        let profile = field.profile
        let name = try pluginName(elevateSource, field)
        for other in ["source_profile", "credential_source"] where has(profile, other) {
            throw .conflictingSettings(chain: field.chain, key: elevateSource, other: other, at: field.location(other))
        }
        for source in registry.sources where source.name != name {
            if let other = source.selection.settings.first(where: { has(profile, $0) }) {
                throw .conflictingSettings(
                    chain: field.chain, key: elevateSource, other: other, at: field.location(other))
            }
        }
        let plugin = try lookUp(elevateSource, name, field, registry.source(namedInProfile:))
        return SourceStep(plugin: plugin, profile: profile)
    }

    /// The elevation plugin `elevate_plugin` names.
    private func namedElevation(_ field: Field) throws(ConfigError) -> any ElevationPlugin {
        try lookUp(elevatePlugin, try pluginName(elevatePlugin, field), field, registry.elevation(namedInProfile:))
    }

    /// The plugin `name`, which `key` of the field's profile holds, as `lookup` finds it.
    private func lookUp<Plugin>(
        _ key: String, _ name: String, _ field: Field, _ lookup: (String) -> PluginLookup<Plugin>
    ) throws(ConfigError) -> Plugin {
        switch lookup(name) {
        case .found(let plugin):
            return plugin
        case .notFound(let searched):
            throw .pluginNotFound(chain: field.chain, key: key, name: name, searched: searched, at: field.location(key))
        case .unusable(let path, let reason):
            throw .pluginUnusable(chain: field.chain, key: key, path: path, reason: reason, at: field.location(key))
        case .builtinOfOtherKind(let kind):
            throw .pluginOfOtherKind(chain: field.chain, key: key, name: name, kind: kind, at: field.location(key))
        }
    }

    /// The plugin name `key` holds, checked before anything is looked up with it.
    private func pluginName(_ key: String, _ field: Field) throws(ConfigError) -> String {
        let value = try field.text(key)!
        guard isPluginName(value) else {
            throw .invalidPluginName(chain: field.chain, key: key, value: value, at: field.location(key))
        }
        return value
    }

    /// The `credential_source` of a profile as a source step.
    private func machineIdentity(_ field: Field) throws(ConfigError) -> SourceStep {
        let value = try field.text("credential_source")!
        guard CredentialSource(rawValue: value) != nil else {
            throw .unknownCredentialSource(chain: field.chain, value: value, at: field.location("credential_source"))
        }
        guard let plugin = registry.source(credentialSource: value) else {
            throw .noPlugin(
                chain: field.chain, setting: "credential_source = \(value)", at: field.location("credential_source"))
        }
        return SourceStep(plugin: plugin, profile: field.profile)
    }

    /// A static-keys source step with the keys of one file, as botocore takes them (the id, the secret and the first
    /// of `aws_security_token`, `aws_session_token` from the same file). The step's profile holds those credential
    /// keys only, so the source plugin cannot mix keys of the two files.
    private func staticKeys(
        _ plugin: any SourcePlugin, _ merged: Profile, from file: FileProfile, chain: [String]
    ) throws(ConfigError) -> SourceStep {
        let field = Field(profile: file.profile, chain: chain, config: config, locations: file.locations)
        guard let keyId = try field.text(accessKeyId) else {
            throw .missingKey(
                chain: chain, missing: accessKeyId, present: secretAccessKey, at: field.location(secretAccessKey))
        }
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
        return SourceStep(plugin: plugin, profile: profile)
    }
}

private let roleArn = "role_arn"
/// aws-elevate's own settings, which botocore ignores: the source plugin and the hop's elevation plugin by name.
private let elevateSource = "elevate_source"
private let elevatePlugin = "elevate_plugin"
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
