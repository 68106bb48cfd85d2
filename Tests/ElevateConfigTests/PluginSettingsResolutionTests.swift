import ElevateCommands
import ElevateCore
import Synchronization
import Testing

@testable import ElevateConfig

private let files = ConfigFiles(configPath: "/home/me/.aws/config", credentialsPath: "/home/me/.aws/credentials")

/// Process plugins as the resolver sees them: names the locator found.
private struct FoundSource: SourcePlugin {
    let name: String
    let summary = "found by the test locator"
    func credentials(for step: Step, settings: Void, context: RunContext) async throws -> Credentials? { nil }
}

private struct FoundElevation: ElevationPlugin {
    let name: String
    let summary = "found by the test locator"
    func elevate(_ input: Credentials, step: Step, settings: Void, hop: Int, context: RunContext) async throws
        -> Credentials
    { input }
}

/// Finds the plugins in `installed`, and records every name it is asked for.
final class Locator: PluginLocator {
    let installed: Set<String>
    let asked = Mutex<[String]>([])
    init(_ installed: Set<String>) { self.installed = installed }

    func source(named name: String) -> PluginLookup<any SourcePlugin> {
        asked.withLock { $0.append(name) }
        return installed.contains(name) ? .found(FoundSource(name: name)) : .notFound(searched: ["/opt/plugins"])
    }

    func elevation(named name: String) -> PluginLookup<any ElevationPlugin> {
        asked.withLock { $0.append(name) }
        if name == "broken" {
            return .unusable(path: "/opt/plugins/aws-elevate-plugin-broken", reason: "it is not executable")
        }
        return installed.contains(name) ? .found(FoundElevation(name: name)) : .notFound(searched: ["/opt/plugins"])
    }
}

private let baseKeys = ["[profile base]", "aws_access_key_id = AKIDBASE0001", "aws_secret_access_key = base-secret"]

@Suite("elevate_source and elevate_plugin")
struct PluginSettingsResolutionTests {
    let locator = Locator(["vault", "tagger"])

    func resolver(_ config: [String]) throws -> ProfileResolver {
        var registry = BuiltinPlugins.registry()
        registry.locator = locator
        let parsed = try AWSConfig.parse(
            config: (baseKeys + config).joined(separator: "\n") + "\n", credentials: "", files: files)
        return ProfileResolver(config: parsed, registry: registry, environment: [:], isSelf: { _ in false })
    }

    func plan(_ name: String, _ config: [String]) throws -> String {
        try resolver(config).plan(for: name).description
    }

    func failure(_ name: String, _ config: [String]) throws -> ConfigError {
        let resolver = try resolver(config)
        return try #require(throws: ConfigError.self) { try resolver.plan(for: name) }
    }

    @Test("elevate_source alone makes the plugin the profile's source")
    func sourceAlone() throws {
        #expect(
            try plan("dev", ["[profile dev]", "elevate_source = vault", "vault_path = secret/dev"]) == "vault(dev)")
        #expect(locator.asked.withLock { $0 } == ["vault"])
    }

    @Test("role_arn with elevate_source assumes the role from the plugin's credentials, as with credential_source")
    func roleFromPlugin() throws {
        let shape = try plan("app", ["[profile app]", "role_arn = arn:aws:iam::1:role/app", "elevate_source = vault"])
        #expect(shape == "vault(app) → assume-role(app)")
    }

    @Test("a source profile with elevate_source starts the chain")
    func sourceProfile() throws {
        let shape = try plan(
            "app",
            [
                "[profile app]", "role_arn = arn:aws:iam::1:role/app", "source_profile = box",
                "[profile box]", "elevate_source = vault",
            ])
        #expect(shape == "vault(box) → assume-role(app)")
    }

    @Test("elevate_plugin makes the hop run that elevation, with or without role_arn")
    func elevationPlugin() throws {
        #expect(
            try plan(
                "app",
                [
                    "[profile app]", "elevate_plugin = tagger", "role_arn = arn:aws:iam::1:role/app",
                    "source_profile = base",
                ]) == "profile(base) → tagger(app)")
        #expect(
            try plan("app", ["[profile app]", "elevate_plugin = tagger", "elevate_source = vault"])
                == "vault(app) → tagger(app)")
        #expect(
            try plan(
                "app",
                [
                    "[profile app]", "elevate_plugin = tagger", "source_profile = mid",
                    "[profile mid]", "role_arn = arn:aws:iam::1:role/mid", "credential_source = Environment",
                ]) == "env(mid) → assume-role(mid) → tagger(app)")
    }

    @Test("elevate_plugin = assume-role is the built-in, and the locator is never asked for a built-in name")
    func builtinsWin() throws {
        #expect(
            try plan(
                "app",
                [
                    "[profile app]", "elevate_plugin = assume-role", "role_arn = arn:aws:iam::1:role/app",
                    "source_profile = base",
                ]) == "profile(base) → assume-role(app)")
        #expect(try plan("box", ["[profile box]", "elevate_source = imds"]) == "imds(box)")
        #expect(locator.asked.withLock { $0 }.isEmpty)
    }

    @Test("elevate_plugin = assume-role without role_arn names the missing role_arn")
    func builtinNeedsItsSetting() throws {
        let error = try failure("app", ["[profile app]", "elevate_plugin = assume-role", "source_profile = base"])
        guard case .missingKey(["app"], "role_arn", "elevate_plugin", _) = error else {
            Issue.record("got \(error)")
            return
        }
    }

    @Test("elevate_source = process with the profile's credential_process is the built-in process source")
    func sameSource() throws {
        #expect(
            try plan("p", ["[profile p]", "elevate_source = process", "credential_process = /bin/helper"])
                == "process(p)")
    }

    @Test(
        "elevate_source next to another setting that says where credentials come from is an error naming both",
        arguments: [
            (["source_profile = base"], "source_profile"),
            (["credential_source = Environment"], "credential_source"),
            (["credential_process = /bin/helper"], "credential_process"),
            (["aws_access_key_id = AKIDX", "aws_secret_access_key = s"], "aws_access_key_id"),
            (["role_arn = arn:aws:iam::1:role/x", "web_identity_token_file = /t"], "web_identity_token_file"),
        ])
    func conflicts(lines: [String], other: String) throws {
        let error = try failure("dev", ["[profile dev]", "elevate_source = vault"] + lines)
        guard case .conflictingSettings(let chain, let key, let found, let at) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(chain == ["dev"] && key == "elevate_source" && found == other)
        #expect(at?.path == files.configPath)
        #expect(error.problem.contains("elevate_source and '\(other)'"))
        #expect(error.remedy.hasPrefix("keep one"))
        #expect(locator.asked.withLock { $0 }.isEmpty, "nothing is looked up for a profile in conflict")
    }

    @Test("elevate_plugin next to web identity settings is an error: those make the profile a source")
    func elevationWithWebIdentity() throws {
        let error = try failure(
            "pod",
            [
                "[profile pod]", "elevate_plugin = tagger", "role_arn = arn:aws:iam::1:role/pod",
                "web_identity_token_file = /t",
            ])
        guard case .conflictingSettings(_, "elevate_plugin", "web_identity_token_file", _) = error else {
            Issue.record("got \(error)")
            return
        }
    }

    @Test("elevate_plugin with nothing to elevate from names the three settings that could say")
    func noSource() throws {
        let error = try failure("app", ["[profile app]", "elevate_plugin = tagger"])
        guard case .noPluginSource(["app"], _) = error else { Issue.record("got \(error)"); return }
        #expect(error.remedy.contains("elevate_source = PLUGIN"))
    }

    @Test("a name nobody has is a configuration error naming the executable and the folders searched")
    func notFound() throws {
        let error = try failure("dev", ["[profile dev]", "elevate_source = nosuch"])
        guard case .pluginNotFound(["dev"], "elevate_source", "nosuch", ["/opt/plugins"], let at) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(at?.line == 5)
        #expect(error.category == .configuration)
        #expect(
            error.problem == "elevate_source 'nosuch' (/home/me/.aws/config:5) names no built-in plugin, and no "
                + "executable 'aws-elevate-plugin-nosuch' was found: none of '/opt/plugins' holds it")
    }

    @Test("an executable that cannot be run is named with the reason")
    func unusable() throws {
        let error = try failure("app", ["[profile app]", "elevate_plugin = broken", "source_profile = base"])
        guard
            case .pluginUnusable(
                _, "elevate_plugin", "/opt/plugins/aws-elevate-plugin-broken", "it is not executable", _) = error
        else { Issue.record("got \(error)"); return }
    }

    @Test("a built-in of the other kind is named as such")
    func otherKind() throws {
        let error = try failure("dev", ["[profile dev]", "elevate_source = assume-role"])
        guard case .pluginOfOtherKind(_, "elevate_source", "assume-role", .elevation, _) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(error.problem.contains("names the built-in elevation plugin, not a source"))
    }

    @Test(
        "a value that is not a plugin name is refused before any look-up",
        arguments: ["../../bin/sh", "Vault", "a b", "x/y"])
    func invalidName(value: String) throws {
        let error = try failure("dev", ["[profile dev]", "elevate_source = \(value)"])
        guard case .invalidPluginName(["dev"], "elevate_source", value, _) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(locator.asked.withLock { $0 }.isEmpty)
    }

    @Test("only the names the requested plan uses are looked up")
    func onlyWhatThePlanUses() throws {
        _ = try plan(
            "dev",
            [
                "[profile dev]", "elevate_source = vault", "[profile other]", "elevate_source = elsewhere",
                "[profile third]", "elevate_plugin = tagger", "source_profile = base",
            ])
        #expect(locator.asked.withLock { $0 } == ["vault"])
    }
}
