import ElevateCommands
import ElevateCore
import Testing

@testable import ElevateConfig

private let files = ConfigFiles(configPath: "/home/me/.aws/config", credentialsPath: "/home/me/.aws/credentials")

/// A command's first word runs aws-elevate when its last path component is `aws-elevate`.
private let isSelf: @Sendable (String) -> Bool = { word in
    word.split(separator: "/").last == "aws-elevate"
}

private func resolver(
    _ config: [String], credentials: [String] = [], environment: [String: String] = [:],
    registry: PluginRegistry = BuiltinPlugins.registry()
) throws -> ProfileResolver {
    let parsed = try AWSConfig.parse(
        config: config.joined(separator: "\n") + "\n",
        credentials: credentials.joined(separator: "\n") + "\n",
        files: files
    )
    return ProfileResolver(config: parsed, registry: registry, environment: environment, isSelf: isSelf)
}

private func plan(
    _ name: String, _ config: [String], credentials: [String] = [], environment: [String: String] = [:]
) throws -> Plan {
    try resolver(config, credentials: credentials, environment: environment).plan(for: name)
}

private func failure(
    _ name: String, _ config: [String], credentials: [String] = [], environment: [String: String] = [:],
    registry: PluginRegistry = BuiltinPlugins.registry()
) throws -> ConfigError {
    let resolver = try resolver(config, credentials: credentials, environment: environment, registry: registry)
    return try #require(throws: ConfigError.self) { try resolver.plan(for: name) }
}

/// `source → hop → hop` as plugin(profile) names.
private func shape(_ plan: Plan) -> String { plan.description }

private let baseKeys = ["[profile base]", "aws_access_key_id = AKIDBASE0001", "aws_secret_access_key = base-secret"]

@Suite("Profile → plan")
struct ProfileResolverTests {
    // MARK: Chains

    @Test("role_arn with source_profile is one hop over the source's static keys")
    func oneHop() throws {
        let result = try plan("app", baseKeys + [
            "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = base", "region = eu-west-1",
        ])
        #expect(shape(result) == "profile(base) → assume-role(app)")
        #expect(result.profile == "app")
        #expect(result.region == "eu-west-1")
        #expect(result.hops[0].profile["role_arn"] == "arn:aws:iam::1:role/app")
        #expect(result.source.profile["aws_access_key_id"] == "AKIDBASE0001")
    }

    @Test("a two-profile chain gives two hops, innermost first")
    func twoHops() throws {
        let result = try plan("admin", baseKeys + [
            "[profile jump]", "role_arn = arn:aws:iam::1:role/jump", "source_profile = base",
            "[profile admin]", "role_arn = arn:aws:iam::2:role/admin", "source_profile = jump",
        ])
        #expect(shape(result) == "profile(base) → assume-role(jump) → assume-role(admin)")
        #expect(result.region == nil)
    }

    @Test("a chain A → B → C → D gives three hops")
    func threeHops() throws {
        let result = try plan("a", [
            "[profile a]", "role_arn = arn:aws:iam::1:role/a", "source_profile = b",
            "[profile b]", "role_arn = arn:aws:iam::1:role/b", "source_profile = c",
            "[profile c]", "role_arn = arn:aws:iam::1:role/c", "source_profile = d",
        ], credentials: ["[d]", "aws_access_key_id = AKIDD", "aws_secret_access_key = d-secret"])
        #expect(shape(result) == "profile(d) → assume-role(c) → assume-role(b) → assume-role(a)")
    }

    @Test(
        "credential_source picks the source plugin",
        arguments: [("Environment", "env"), ("Ec2InstanceMetadata", "imds"), ("EcsContainer", "ecs")]
    )
    func credentialSource(value: String, plugin: String) throws {
        let result = try plan(
            "app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "credential_source = \(value)"])
        #expect(shape(result) == "\(plugin)(app) → assume-role(app)")
    }

    @Test("a credential_source value no registered plugin serves is a configuration error naming it")
    func unservedCredentialSource() throws {
        let builtin = BuiltinPlugins.registry()
        var partial = PluginRegistry()
        for source in builtin.sources where source.selection.credentialSource != "EcsContainer" {
            try partial.register(source)
        }
        for elevation in builtin.elevations { try partial.register(elevation) }
        let error = try failure(
            "app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "credential_source = EcsContainer"],
            registry: partial)
        #expect(error == .noPlugin(
            chain: ["app"], setting: "credential_source = EcsContainer", at: FileLocation(path: files.configPath, line: 3)))
        #expect(error.problem.contains("'credential_source = EcsContainer'"))
        #expect(error.category == .configuration)
    }

    @Test("a role_arn without a registered elevation for it is a configuration error, not a crash")
    func noElevation() throws {
        let error = try failure(
            "app", baseKeys + ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = base"],
            registry: PluginRegistry())
        guard case .noPlugin(_, let setting, _) = error else { Issue.record("got \(error)"); return }
        #expect(setting == "role_arn")
    }

    @Test("credential_source without role_arn is a source on its own")
    func machineIdentityAlone() throws {
        let result = try plan("box", ["[profile box]", "credential_source = Ec2InstanceMetadata"])
        #expect(shape(result) == "imds(box)")
    }

    @Test("static keys alone are a profile source with no hops")
    func staticKeysAlone() throws {
        let result = try plan("base", baseKeys)
        #expect(shape(result) == "profile(base)")
    }

    @Test("a profile naming itself as source_profile with static keys assumes its role with its own keys")
    func selfSourced() throws {
        let result = try plan("me", [
            "[profile me]", "role_arn = arn:aws:iam::1:role/me", "source_profile = me",
            "aws_access_key_id = AKIDME", "aws_secret_access_key = me-secret",
        ])
        #expect(shape(result) == "profile(me) → assume-role(me)")
    }

    @Test("a source profile with static keys uses them and ignores its own role_arn, as botocore does")
    func sourceStaticKeysWin() throws {
        let result = try plan("app", [
            "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = mid",
            "[profile mid]", "role_arn = arn:aws:iam::1:role/mid", "source_profile = other",
            "aws_access_key_id = AKIDMID", "aws_secret_access_key = mid-secret",
        ])
        #expect(shape(result) == "profile(mid) → assume-role(app)")
    }

    @Test("role_arn of the requested profile wins over its static keys and credential_process")
    func roleArnFirst() throws {
        let result = try plan("app", baseKeys + [
            "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = base",
            "aws_access_key_id = AKIDAPP", "aws_secret_access_key = app-secret",
            "credential_process = aws-elevate credential-process --profile app",
        ])
        #expect(shape(result) == "profile(base) → assume-role(app)")
    }

    // MARK: Loops

    @Test("a source_profile loop lists the visited profiles in order")
    func loop() throws {
        let error = try failure("a", [
            "[profile a]", "role_arn = arn:aws:iam::1:role/a", "source_profile = b",
            "[profile b]", "role_arn = arn:aws:iam::1:role/b", "source_profile = a",
        ])
        #expect(error == .sourceProfileLoop(visited: ["a", "b", "a"]))
        #expect(error.problem.contains("'a' → 'b' → 'a'"))
    }

    @Test("a loop that does not return to the first profile names the whole path")
    func innerLoop() throws {
        let error = try failure("a", [
            "[profile a]", "role_arn = arn:aws:iam::1:role/a", "source_profile = b",
            "[profile b]", "role_arn = arn:aws:iam::1:role/b", "source_profile = c",
            "[profile c]", "role_arn = arn:aws:iam::1:role/c", "source_profile = b",
        ])
        #expect(error == .sourceProfileLoop(visited: ["a", "b", "c", "b"]))
    }

    @Test("a profile naming itself without static keys is a loop")
    func selfLoopWithoutKeys() throws {
        let error = try failure("me", ["[profile me]", "role_arn = arn:aws:iam::1:role/me", "source_profile = me"])
        #expect(error == .sourceProfileLoop(visited: ["me", "me"]))
    }

    // MARK: Sources

    @Test("role_arn with both source_profile and credential_source is an error")
    func bothSources() throws {
        let error = try failure("app", baseKeys + [
            "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = base",
            "credential_source = Environment",
        ])
        guard case .bothSources(let chain, let at) = error else { Issue.record("got \(error)"); return }
        #expect(chain == ["app"])
        #expect(at == FileLocation(path: files.configPath, line: 7))
    }

    @Test("role_arn with neither source_profile nor credential_source is an error")
    func noSource() throws {
        let error = try failure("app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app"])
        #expect(error == .noSource(chain: ["app"], at: FileLocation(path: files.configPath, line: 2)))
        #expect(error.remedy.contains("Environment | Ec2InstanceMetadata | EcsContainer"))
    }

    @Test("an unknown credential_source is quoted and the valid ones listed")
    func unknownCredentialSource() throws {
        let error = try failure(
            "app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "credential_source = environment"])
        guard case .unknownCredentialSource(_, let value, _) = error else { Issue.record("got \(error)"); return }
        #expect(value == "environment")
        #expect(error.problem.contains("'environment'"))
        #expect(error.remedy == "use one of: Environment, Ec2InstanceMetadata, EcsContainer")
    }

    @Test("source_profile naming a missing profile is an error naming it")
    func missingSourceProfile() throws {
        let error = try failure(
            "app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = ghost"])
        guard case .sourceProfileNotFound(let chain, let name, _, _) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(chain == ["app"])
        #expect(name == "ghost")
        #expect(error.problem.contains("'ghost'"))
        #expect(error.remedy.contains("[profile ghost]"))
    }

    @Test("a missing profile names the files read and the section to add")
    func profileNotFound() throws {
        let error = try failure("nope", ["[profile other]"])
        #expect(error == .profileNotFound(name: "nope", searched: [
            ConfigFileStatus(path: files.configPath, exists: true),
            ConfigFileStatus(path: files.credentialsPath, exists: true),
        ]))
        #expect(error.problem == "not found in '/home/me/.aws/config' or '/home/me/.aws/credentials'")
        #expect(error.remedy.contains("[profile nope]"))
        #expect(!error.problem.hasPrefix("'nope'"))
    }

    @Test("the missing default profile is to be added as [default]")
    func defaultNotFound() throws {
        let error = try failure("default", [])
        #expect(error.remedy.contains("[default]"))
    }

    // MARK: Static keys

    @Test(
        "a key without its other half is an error naming the missing key",
        arguments: [
            (["aws_access_key_id = AKIDX"], "aws_secret_access_key", "aws_access_key_id"),
            (["aws_secret_access_key = s"], "aws_access_key_id", "aws_secret_access_key"),
            (["aws_session_token = t"], "aws_access_key_id", "aws_session_token"),
        ]
    )
    func missingHalf(lines: [String], missing: String, present: String) throws {
        let error = try failure("base", ["[profile base]"] + lines)
        guard case .missingKey(let chain, let gotMissing, let gotPresent, let at) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(chain == ["base"])
        #expect(gotMissing == missing)
        #expect(gotPresent == present)
        #expect(at == FileLocation(path: files.configPath, line: 2))
    }

    @Test("a key pair split across the two files is incomplete, as botocore reads each file alone")
    func splitPair() throws {
        let error = try failure(
            "base", ["[profile base]", "aws_secret_access_key = s"],
            credentials: ["[base]", "aws_access_key_id = AKIDX"])
        guard case .missingKey(_, let missing, _, let at) = error else { Issue.record("got \(error)"); return }
        #expect(missing == "aws_secret_access_key")
        #expect(at?.path == files.credentialsPath)
    }

    @Test(
        "an empty value of a key that is used is an error",
        arguments: [
            (["role_arn =", "source_profile = base"], "role_arn"),
            (["role_arn = arn:aws:iam::1:role/app", "source_profile ="], "source_profile"),
            (["role_arn = arn:aws:iam::1:role/app", "credential_source ="], "credential_source"),
            (["aws_access_key_id =", "aws_secret_access_key = s"], "aws_access_key_id"),
            (["aws_access_key_id = AKIDX", "aws_secret_access_key ="], "aws_secret_access_key"),
            (["aws_access_key_id = AKIDX", "aws_secret_access_key = s", "aws_session_token ="], "aws_session_token"),
            (["credential_process ="], "credential_process"),
        ]
    )
    func emptyValue(lines: [String], key: String) throws {
        let error = try failure("app", baseKeys + ["[profile app]"] + lines)
        guard case .emptyValue(let chain, let gotKey, let at) = error else { Issue.record("got \(error)"); return }
        #expect(chain == ["app"])
        #expect(gotKey == key)
        #expect(at?.path == files.configPath)
        #expect(error.problem.hasPrefix("'\(key)' is empty"))
    }

    @Test("an empty value in a source profile names that profile")
    func emptyValueInSource() throws {
        let error = try failure("app", [
            "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = base",
            "[profile base]", "aws_access_key_id = AKIDX", "aws_secret_access_key =",
        ])
        #expect(error == .emptyValue(
            chain: ["app", "base"], key: "aws_secret_access_key", at: FileLocation(path: files.configPath, line: 6)))
        #expect(error.problem.hasPrefix("source profile 'base' (of 'app'): "))
    }

    @Test("a role_arn written as indented lines is an error")
    func roleArnSubsection() throws {
        let error = try failure("app", ["[profile app]", "role_arn =", "  a = b", "source_profile = x"])
        #expect(error == .notAValue(chain: ["app"], key: "role_arn", at: FileLocation(path: files.configPath, line: 2)))
    }

    @Test("credentials-file keys win over config-file keys for the same profile")
    func credentialsFilePrecedence() throws {
        let result = try plan(
            "app",
            ["[profile app]", "region = us-east-1", "output = json", "aws_access_key_id = AKIDCONFIG",
             "aws_secret_access_key = config-secret"],
            credentials: [
                "[app]", "region = eu-central-1", "aws_access_key_id = AKIDCREDS",
                "aws_secret_access_key = creds-secret",
            ]
        )
        #expect(result.region == "eu-central-1")
        #expect(result.source.profile["aws_access_key_id"] == "AKIDCREDS")
        #expect(result.source.profile["aws_secret_access_key"] == "creds-secret")
        #expect(result.source.profile["output"] == "json")
    }

    @Test("the source step holds the keys of one file only: a config-file token does not join credentials-file keys")
    func tokenFromSameFile() throws {
        let result = try plan(
            "app", ["[profile app]", "aws_session_token = config-token"],
            credentials: ["[app]", "aws_access_key_id = AKIDCREDS", "aws_secret_access_key = s"])
        #expect(result.source.profile["aws_session_token"] == nil)
        #expect(result.source.profile["aws_access_key_id"] == "AKIDCREDS")
    }

    @Test("aws_security_token is preferred over aws_session_token, as botocore prefers it")
    func securityTokenFirst() throws {
        let result = try plan("base", baseKeys + ["aws_session_token = session", "aws_security_token = security"])
        #expect(result.source.profile["aws_security_token"] == "security")
        #expect(result.source.profile["aws_session_token"] == nil)
    }

    // MARK: credential_process

    @Test(
        "a credential_process that runs aws-elevate is recursion",
        arguments: [
            "aws-elevate credential-process --profile app",
            "/usr/local/bin/aws-elevate credential-process --profile app",
            "\"/opt/my tools/aws-elevate\" credential-process --profile app",
        ]
    )
    func recursion(command: String) throws {
        let error = try failure("app", ["[profile app]", "credential_process = \(command)"])
        #expect(error == .runsItself(chain: ["app"], at: FileLocation(path: files.configPath, line: 2)))
        #expect(error.problem.contains("aws-elevate again"))
        #expect(error.remedy.contains("--profile app-chain"))
    }

    @Test("a source profile whose credential_process runs aws-elevate is recursion, named by the chain")
    func recursionInSource() throws {
        let error = try failure("app", [
            "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = sdk",
            "[profile sdk]", "credential_process = aws-elevate credential-process --profile app",
        ])
        #expect(error == .runsItself(chain: ["app", "sdk"], at: FileLocation(path: files.configPath, line: 5)))
        #expect(error.problem.hasPrefix("source profile 'sdk' (of 'app'): "))
    }

    @Test("credential_process comes before config-file static keys, so the recursion check still fires")
    func processBeforeConfigKeys() throws {
        let error = try failure("app", [
            "[profile app]", "aws_access_key_id = AKIDX", "aws_secret_access_key = s",
            "credential_process = aws-elevate credential-process --profile app",
        ])
        guard case .runsItself = error else { Issue.record("got \(error)"); return }
    }

    @Test("credentials-file static keys come before credential_process")
    func credentialsKeysBeforeProcess() throws {
        let result = try plan(
            "app", ["[profile app]", "credential_process = aws-elevate credential-process --profile app"],
            credentials: ["[app]", "aws_access_key_id = AKIDX", "aws_secret_access_key = s"])
        #expect(shape(result) == "profile(app)")
    }

    @Test("another program's credential_process is a process source, also under a role, before config-file keys")
    func foreignProcess() throws {
        #expect(shape(try plan("app", ["[profile app]", "credential_process = /usr/bin/vault-helper --role x"]))
                == shape(try plan("app", ["[profile app]", "credential_process = other"])))
        let alone = try plan("app", ["[profile app]", "credential_process = /usr/bin/vault-helper --role x"])
        #expect(alone.source.plugin.name == "process" && alone.hops.isEmpty)
        let chained = try plan("admin", [
            "[profile admin]", "role_arn = arn:aws:iam::123456789012:role/admin", "source_profile = base",
            "[profile base]", "credential_process = vault-helper", "aws_access_key_id = AKIDCONFIG",
            "aws_secret_access_key = s",
        ])
        #expect(chained.source.plugin.name == "process" && chained.source.profile.name == "base")
        #expect(chained.hops.map(\.plugin.name) == ["assume-role"])
    }

    // MARK: Nothing usable

    @Test("a profile with nothing usable names the keys looked for")
    func nothingUsable() throws {
        let error = try failure("empty", ["[profile empty]", "region = us-east-1"])
        guard case .noCredentials(let chain, let lookedFor) = error else { Issue.record("got \(error)"); return }
        #expect(chain == ["empty"])
        #expect(lookedFor.contains("role_arn"))
        #expect(lookedFor.contains("aws_access_key_id"))
        #expect(error.problem.contains("'role_arn'"))
    }

    // MARK: The container endpoint

    static let container = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task"]

    @Test(
        "a requested profile with nothing else starts from the container endpoint when its variables are set",
        arguments: [
            ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task"],
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"],
            ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": ""],
        ])
    func containerFallback(environment: [String: String]) throws {
        #expect(shape(try plan("empty", ["[profile empty]", "region = us-east-1"], environment: environment))
                == "ecs(empty)")
    }

    @Test("the container endpoint comes after every setting of the profile, as botocore's default chain has it")
    func containerLast() throws {
        let environment = Self.container
        #expect(shape(try plan("base", baseKeys, environment: environment)) == "profile(base)")
        #expect(shape(try plan("p", ["[profile p]", "credential_process = /usr/bin/helper"], environment: environment))
                == "process(p)")
        #expect(shape(try plan("p", ["[profile p]", "credential_source = Ec2InstanceMetadata"], environment: environment))
                == "imds(p)")
        #expect(shape(try plan("p", ["[profile p]", "credential_source = Environment"], environment: environment))
                == "env(p)")
        let chained = try plan(
            "app", baseKeys + ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = base"],
            environment: environment)
        #expect(shape(chained) == "profile(base) → assume-role(app)")
    }

    @Test("a source profile with nothing does not fall back to the container: botocore requires its credentials")
    func containerNotForSourceProfiles() throws {
        let error = try failure(
            "app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = mid", "[profile mid]"],
            environment: Self.container)
        guard case .noCredentials(let chain, _) = error else { Issue.record("got \(error)"); return }
        #expect(chain == ["app", "mid"])
    }

    @Test("without the container variables a profile with nothing is still an error")
    func noContainer() throws {
        let error = try failure("empty", ["[profile empty]", "region = us-east-1"])
        guard case .noCredentials = error else { Issue.record("got \(error)"); return }
    }

    @Test("sso_account_id or sso_role_name is the sso source, before static keys, with the [sso-session] section")
    func sso() throws {
        let dev = ["[profile dev]", "sso_session = corp", "sso_role_name = Admin", "sso_account_id = 111122223333",
                   "[sso-session corp]", "sso_start_url = https://corp.awsapps.com/start", "sso_region = eu-west-1"]
        let alone = try plan("dev", dev, credentials: ["[dev]", "aws_access_key_id = AKIDX", "aws_secret_access_key = s"])
        #expect(shape(alone) == "sso(dev)")
        #expect(alone.source.profile.ssoSession?["sso_region"] == "eu-west-1")
        let chained = try plan("b", dev + [
            "[profile a]", "role_arn = arn:aws:iam::123456789012:role/a", "source_profile = dev",
            "[profile b]", "role_arn = arn:aws:iam::123456789012:role/b", "source_profile = a",
        ])
        #expect(shape(chained) == "sso(dev) → assume-role(a) → assume-role(b)")
        // Only the account or the role selects SSO, as in botocore: a session alone yields nothing.
        let error = try failure("s", ["[profile s]", "sso_session = corp", "sso_start_url = https://x"])
        guard case .noCredentials(_, let lookedFor) = error else { Issue.record("got \(error)"); return }
        #expect(lookedFor.contains("sso_role_name") && lookedFor.contains("sso_account_id"))
    }

    @Test(
        "login settings are reported as unsupported",
        arguments: ["login_session = arn:aws:iam::1:user/x"]
    )
    func unsupported(line: String) throws {
        let error = try failure("app", ["[profile app]", line])
        guard case .unsupported(_, let key, _, _) = error else { Issue.record("got \(error)"); return }
        #expect(line.hasPrefix(key))
    }

    @Test("role_arn with web_identity_token_file is a web-identity source, first of all, also as a source profile")
    func webIdentity() throws {
        let pod = ["[profile pod]", "role_arn = arn:aws:iam::123456789012:role/pod", "web_identity_token_file = /t",
                   "aws_access_key_id = AKIDCONFIG", "aws_secret_access_key = s"]
        let alone = try plan("pod", pod)
        #expect(alone.source.plugin.name == "web-identity" && alone.hops.isEmpty)
        let chained = try plan("admin", pod + [
            "[profile admin]", "role_arn = arn:aws:iam::123456789012:role/admin", "source_profile = pod",
        ])
        #expect(chained.source.plugin.name == "web-identity" && chained.source.profile.name == "pod")
        #expect(chained.hops.map(\.plugin.name) == ["assume-role"])
        let error = try failure("pod", ["[profile pod]", "web_identity_token_file = /t"])
        guard case .missingKey(_, let missing, let present, _) = error else { Issue.record("got \(error)"); return }
        #expect(missing == "role_arn" && present == "web_identity_token_file")
    }

    @Test("profiles whose names differ only in their Unicode spelling are different profiles, as in botocore")
    func exactProfileNames() throws {
        // "é" precomposed (U+00E9) and decomposed ("e" + U+0301): equal to Swift's ==, different to Python.
        let config = [
            "[profile caf\u{E9}]", "role_arn = arn:aws:iam::123456789012:role/a", "source_profile = cafe\u{301}",
            "[profile cafe\u{301}]", "aws_access_key_id = AKIDDECOMPOSED", "aws_secret_access_key = s",
        ]
        let precomposed = try plan("caf\u{E9}", config)
        #expect(precomposed.hops.count == 1)
        #expect(precomposed.source.profile["aws_access_key_id"] == "AKIDDECOMPOSED")
        #expect(Array(precomposed.source.profile.name.unicodeScalars) == Array("cafe\u{301}".unicodeScalars))
        let decomposed = try plan("cafe\u{301}", config)
        #expect(decomposed.hops.isEmpty && decomposed.source.plugin.name == "profile")
    }

    // MARK: Messages

    @Test("no error message contains a secret key or session token")
    func noSecretsInMessages() throws {
        let secret = "wJalrXUtnFEMI-SECRET"
        let token = "IQoJb3JpZ2luX2VjEJr-TOKEN"
        let broken: [[String]] = [
            ["[profile x]", "aws_secret_access_key = \(secret)", "aws_session_token = \(token)"],
            ["[profile x]", "aws_access_key_id = AKIDX", "aws_secret_access_key = \(secret)", "aws_session_token ="],
            ["[profile x]", "aws_access_key_id = AKIDX", "aws_secret_access_key = \(secret)",
             "credential_process = aws-elevate x"],
            ["[profile x]", "aws_secret_access_key = \(secret)", "role_arn = r"],
            ["[profile x]", secret],
            ["[profile x]", "aws_secret_access_key = \(secret)", "aws_secret_access_key = \(secret)"],
        ]
        for lines in broken {
            let error = try #require(throws: ConfigError.self) {
                let config = try AWSConfig.parse(config: lines.joined(separator: "\n"), credentials: "", files: files)
                _ = try ProfileResolver(
                    config: config, registry: BuiltinPlugins.registry(), environment: [:], isSelf: isSelf
                ).plan(for: "x")
            }
            for text in [error.problem, error.remedy] {
                #expect(!text.contains(secret) && !text.contains(token), "\(text)")
            }
        }
    }

    @Test("profile names with control characters cannot break the message line")
    func controlCharacters() throws {
        let error = try failure("a\nb", ["[profile x]"])
        #expect(!error.remedy.contains("\n"))
    }
}

@Suite("Which profile is used")
struct DefaultProfileNameTests {
    @Test("AWS_DEFAULT_PROFILE comes before AWS_PROFILE")
    func defaultProfileFirst() {
        #expect(defaultProfileName(environment: ["AWS_DEFAULT_PROFILE": "one", "AWS_PROFILE": "two"]) == "one")
    }

    @Test("AWS_PROFILE is used when AWS_DEFAULT_PROFILE is unset or empty")
    func profileSecond() {
        #expect(defaultProfileName(environment: ["AWS_PROFILE": "two"]) == "two")
        #expect(defaultProfileName(environment: ["AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "two"]) == "two")
    }

    @Test("'default' when neither is set")
    func fallback() {
        #expect(defaultProfileName(environment: [:]) == "default")
        #expect(defaultProfileName(environment: ["AWS_PROFILE": ""]) == "default")
    }
}
