#if canImport(Glibc)
import Glibc
#endif
import AssumeRoleElevation
import ElevateCache
import ElevateConfig
import ElevateCore
import ElevatePluginHost
import EnvSource
import IMDSSource
import Logging
import ProcessSource
import ProfileSource
import Testing
import WebIdentitySource

@testable import ElevateCommands

/// The v1 cache keys of real plans, resolved from config text and derived with the built-in plugins: a change to
/// resolution, binding or any plugin's identity parts that would orphan the users' cached sessions fails here.
@Suite("v1 cache keys of real plans")
struct CacheKeyPinTests {
    static let config = """
        [profile app]
        role_arn = arn:aws:iam::123456789012:role/app
        source_profile = jump
        role_session_name = elevate-app
        region = eu-west-1

        [profile jump]
        role_arn = arn:aws:iam::123456789012:role/jump
        source_profile = base
        external_id = ext-1234

        [profile env-chain]
        role_arn = arn:aws:iam::123456789012:role/env
        credential_source = Environment

        [profile box-chain]
        role_arn = arn:aws:iam::123456789012:role/box
        credential_source = Ec2InstanceMetadata
        duration_seconds = 1800

        [profile pod]
        role_arn = arn:aws:iam::123456789012:role/pod
        web_identity_token_file = /var/run/token

        [profile pod-chain]
        role_arn = arn:aws:iam::123456789012:role/pod-admin
        source_profile = pod

        [profile vault-chain]
        role_arn = arn:aws:iam::123456789012:role/vault
        source_profile = vault

        [profile vault]
        credential_process = /usr/bin/vault-helper --role x

        """
    static let credentials = """
        [base]
        aws_access_key_id = AKIAPINNEDBASE000001
        aws_secret_access_key = base-secret

        """

    /// The instance and machine the imds source reads, fixed so that the key does not depend on the test machine.
    final class Identity {
        let directory: String
        init() {
            var template = Array("/tmp/elevate-pin.XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            write("3d1219c7c4c5404aaa1f6d2a48adfda4\n", to: "machine-id")
            write("i-0123456789abcdef0\n", to: "board_asset_tag")
        }
        deinit {
            for name in ["machine-id", "board_asset_tag"] { unlink(directory + "/" + name) }
            rmdir(directory)
        }
        var files: IdentityFiles {
            IdentityFiles(
                machineId: directory + "/machine-id", boardAssetTag: directory + "/board_asset_tag",
                hypervisorUUID: directory + "/uuid")
        }
        private func write(_ text: String, to name: String) {
            let fd = open(directory + "/" + name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            precondition(fd >= 0)
            _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    /// Process plugins at fixed paths, as a search path would find them.
    struct FixedPlugins: PluginLocator {
        func source(named name: String) -> PluginLookup<any SourcePlugin> {
            .found(ProcessSourcePlugin(name: name, path: "/opt/aws-elevate/aws-elevate-plugin-\(name)"))
        }
        func elevation(named name: String) -> PluginLookup<any ElevationPlugin> {
            .found(ProcessElevationPlugin(name: name, path: "/opt/aws-elevate/aws-elevate-plugin-\(name)"))
        }
    }

    static let pluginConfig = """
        [profile keys]
        elevate_source = keyfile
        keyfile = /run/keys.env

        [profile keys-chain]
        role_arn = arn:aws:iam::123456789012:role/app
        source_profile = keys

        [profile tagged]
        elevate_plugin = tagged-role
        role_arn = arn:aws:iam::123456789012:role/tagged
        source_profile = keys-chain
        region = eu-west-1
        session_tags =
            team = platform

        """

    func key(_ profile: String) throws -> String? {
        let identity = Identity()
        var registry = PluginRegistry()
        try registry.register(EnvSource())
        try registry.register(ProfileSource())
        try registry.register(IMDSSource(identityFiles: identity.files))
        try registry.register(ProcessSource())
        try registry.register(WebIdentitySource())
        try registry.register(AssumeRoleElevation())
        registry.locator = FixedPlugins()
        let files = ConfigFiles(configPath: "/pin/config", credentialsPath: "/pin/credentials")
        let config = try AWSConfig.parse(
            config: Self.config + "\n" + Self.pluginConfig, credentials: Self.credentials, files: files)
        let environment = ["AWS_ACCESS_KEY_ID": "AKIAPINNEDENV0000001", "AWS_SECRET_ACCESS_KEY": "s"]
        let resolver = ProfileResolver(
            config: config, registry: registry, environment: environment, isSelf: { _ in false })
        let context = RunContext(
            environment: environment, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let plan = try resolver.plan(for: profile).bind(context: context)
        guard case .cached(let key, _) = CacheDerivation.derive(plan: plan, context: context) else { return nil }
        return key.digest
    }

    @Test(
        "each plan keeps the key it had",
        arguments: [
            ("app", "7c0cec389695764d89ab113b510a0d658db289f4b4b12f8b3471ef8f8d21ff93"),
            ("jump", "33dfb19caa6bec1a1ef5d423d8b0fc2d8208c93efe6253abaa14f7430ec4970f"),
            ("env-chain", "d52ec5741d1b79855e449c20bb1ab9e35be91634414e9048ce2aff4688b0c4b7"),
            ("box-chain", "00ce7bba5f3ce226ad7706975d4c4136ae35be41f9e07e8d32c48d09f51320fd"),
            ("pod", "3d39a5daddbf7fe833d49a3994a43ba878ca28b3cd4b77868bfd30cfda9efdfb"),
            ("pod-chain", "858da758d302c3d18c2654457b26b0cbbf0b6268eb573a79976bb4a7c296262d"),
            ("vault-chain", "9c7abefb4fe2f0c83af4cf6d570190e8460c8ddbb61b8ad6817078074e8ff3d5"),
        ])
    func pinned(profile: String, digest: String) throws {
        #expect(try key(profile) == digest)
    }

    /// Process plugins' steps are keyed in v1 too, by their name and identity parts (protocol version, executable,
    /// region, every setting sent): a change to those parts must come with a new key version or protocol version.
    /// The key of `keys` was also derived independently (Python's hashlib over the documented field encoding).
    @Test(
        "plans through process plugins keep the key they had",
        arguments: [
            ("keys", "fbeb060bead107ba7f53a4461034d921ee680b175840f18ff107ab6fc8d980b0"),
            ("keys-chain", "8d2615f709d1014f238c8e4d6984511bdedcb81d074398603711cd1df294d2fd"),
            ("tagged", "9d650a4261a5548556e4f431dcc7a6acd8fde69b5ba27e76b2d53cf23710bba9"),
        ])
    func pinnedPlugins(profile: String, digest: String) throws {
        #expect(try key(profile) == digest)
    }
}
