import ElevateConfig
import ElevateCore
import Logging
import Testing

@testable import ElevateCommands

/// Every plan the resolver makes, with the built-in registry, is made of registered plugins that bind.
@Suite("resolution and the registry")
struct ResolutionRegistryTests {
    static let files = ConfigFiles(configPath: "/walk/config", credentialsPath: "/walk/credentials")
    /// What the sources read while binding: the container endpoint, so that the `ecs` source binds.
    static let environment = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/walk"]
    static let context = RunContext(
        environment: environment, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

    /// The `credential_source` values botocore accepts (its CanonicalNameCredentialSourcer's providers);
    /// Tests/e2e/test_registry_oracle.py checks this list against the installed botocore.
    static let botocoreCredentialSources = ["Environment", "Ec2InstanceMetadata", "EcsContainer"]

    func plan(_ name: String, config: String, credentials: String = "", environment: [String: String] = [:])
        throws -> Plan
    {
        let parsed = try AWSConfig.parse(config: config, credentials: credentials, files: Self.files)
        let resolver = ProfileResolver(
            config: parsed, registry: BuiltinPlugins.registry(), environment: environment, isSelf: { _ in false })
        return try resolver.plan(for: name)
    }

    func checkRegistered(_ plan: Plan, _ comment: Comment) {
        let registry = BuiltinPlugins.registry()
        #expect((try? registry.source(named: plan.source.plugin.name)) != nil, comment)
        for hop in plan.hops {
            #expect((try? registry.elevation(named: hop.plugin.name)) != nil, comment)
        }
        #expect(throws: Never.self, comment) { try plan.bind(context: Self.context) }
    }

    @Test("the built-in sources serve exactly botocore's credential_source values")
    func servedValues() {
        #expect(Set(BuiltinPlugins.registry().credentialSources) == Set(Self.botocoreCredentialSources))
        #expect(Set(CredentialSource.allCases.map(\.rawValue)) == Set(Self.botocoreCredentialSources))
    }

    @Test("regression: sso_account_id and sso_role_name resolve to the sso source, not 'unsupported' (issue 11)")
    func ssoResolves() throws {
        let config = """
            [profile dev]
            sso_session = corp
            sso_account_id = 111122223333
            sso_role_name = Admin
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-west-1
            [profile admin]
            role_arn = arn:aws:iam::123456789012:role/admin
            source_profile = dev

            """
        let alone = try plan("dev", config: config)
        #expect(alone.source.plugin.name == "sso" && alone.hops.isEmpty)
        checkRegistered(alone, "sso_session")
        let chained = try plan("admin", config: config)
        #expect(chained.source.plugin.name == "sso" && chained.source.profile.name == "dev")
        #expect(chained.hops.map(\.plugin.name) == ["assume-role"])
        checkRegistered(chained, "sso as a source profile")
    }

    @Test("regression: credential_source = EcsContainer resolves to a registered plugin (issue 11)")
    func ecsContainerResolves() throws {
        let config = "[profile e]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = EcsContainer\n"
        checkRegistered(try plan("e", config: config), "EcsContainer")
    }

    @Test(
        "every credential_source botocore accepts resolves to a registered plugin, with and without role_arn",
        arguments: botocoreCredentialSources)
    func everyCredentialSource(value: String) throws {
        let chained = "[profile p]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = \(value)\n"
        checkRegistered(try plan("p", config: chained), "\(value) with role_arn")
        checkRegistered(try plan("p", config: "[profile p]\ncredential_source = \(value)\n"), "\(value) alone")
    }

    /// The settings a profile may combine, each as config-file lines (or credentials-file lines for `keys-file`).
    static let features: [(name: String, lines: [String])] = [
        ("role_arn", ["role_arn = arn:aws:iam::123456789012:role/x"]),
        ("source_profile", ["source_profile = base"]),
        ("web_identity_token_file", ["web_identity_token_file = /var/run/token"]),
        ("credential_process", ["credential_process = /usr/bin/helper"]),
        ("config keys", ["aws_access_key_id = AKIACONFIG", "aws_secret_access_key = s"]),
        ("keys-file", ["aws_access_key_id = AKIACREDS", "aws_secret_access_key = s"]),
        ("sso", ["sso_session = corp", "sso_account_id = 111122223333", "sso_role_name = Admin"]),
    ]

    /// Every combination of the features, of `credential_source` (unset or each value) and of the container
    /// variables, for the requested profile and for its source profile: those the resolver accepts must be made of
    /// registered plugins that bind, and no combination may need a plugin that is not registered.
    @Test("every setting combination the resolver accepts resolves to registered plugins")
    func everyCombination() throws {
        var accepted = 0
        var sourcesSeen: Set<String> = []
        for (sourceProfile, environment) in [
            (false, [:]), (true, [:]), (false, Self.environment), (true, Self.environment),
        ] {
            for mask in 0..<(1 << Self.features.count) {
                for credentialSource in [nil] + Self.botocoreCredentialSources {
                    var lines: [String] = []
                    var credentialLines: [String] = []
                    var names: [String] = []
                    for (index, feature) in Self.features.enumerated() where mask & (1 << index) != 0 {
                        names.append(feature.name)
                        if feature.name == "keys-file" {
                            credentialLines += feature.lines
                        } else {
                            lines += feature.lines
                        }
                    }
                    if let credentialSource {
                        lines.append("credential_source = \(credentialSource)")
                        names.append(credentialSource)
                    }
                    let requested = sourceProfile ? "app" : "p"
                    let target = sourceProfile ? "src" : "p"
                    var config = "[profile \(target)]\n" + lines.map { $0 + "\n" }.joined()
                    config += "[profile base]\nregion = us-east-1\n"
                    config += "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                    config += "sso_region = eu-west-1\n"
                    if sourceProfile {
                        config += "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = src\n"
                    }
                    let credentials =
                        "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n"
                        + (credentialLines.isEmpty ? "" : "[\(target)]\n" + credentialLines.map { $0 + "\n" }.joined())
                    let label = "\(sourceProfile ? "source profile" : "profile") with \(names), env \(environment)"
                    let resolved: Plan
                    do {
                        resolved = try plan(
                            requested, config: config, credentials: credentials, environment: environment)
                    } catch ConfigError.noPlugin(let chain, let setting, _) {
                        Issue.record("\(label): '\(setting)' of \(chain) has no registered plugin")
                        continue
                    } catch {
                        continue
                    }
                    accepted += 1
                    sourcesSeen.insert(resolved.source.plugin.name)
                    checkRegistered(resolved, Comment(rawValue: "\(label): \(resolved)"))
                }
            }
        }
        #expect(accepted > 400)
        #expect(sourcesSeen == Set(BuiltinPlugins.registry().sources.map(\.name)), "every source is reached")
    }
}
