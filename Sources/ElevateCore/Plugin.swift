#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

/// The two kinds of plugin.
public enum PluginKind: String, Sendable, Equatable, CustomStringConvertible {
    case source
    case elevation

    public var description: String { rawValue }
}

/// What a plugin may use while it runs. Everything it reads from the outside world comes through here.
public struct RunContext: Sendable {
    /// The process environment (or a test's stand-in).
    public var environment: [String: String]
    public var logger: Logger
    /// The current time.
    public var now: @Sendable () -> Date
    /// An MFA code given on the command line, if any.
    public var tokenCode: String?
    /// Whether a plugin may ask on the terminal (an MFA code); `false` for runs nobody watches (the shell's refresh).
    public var mayPrompt: Bool

    public init(
        environment: [String: String],
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        tokenCode: String? = nil,
        mayPrompt: Bool = true
    ) {
        self.environment = environment
        self.logger = logger
        self.now = now
        self.tokenCode = tokenCode
        self.mayPrompt = mayPrompt
    }
}

/// A plugin that yields base credentials.
///
/// A run first binds each step: ``settings(for:context:)`` reads and checks the step's settings once, before any
/// request, and the session cache (``cacheIdentity(for:settings:context:)``) and the chain runner
/// (``credentials(for:settings:context:)``) both use what it returned.
public protocol SourcePlugin: Sendable {
    /// What ``settings(for:context:)`` reads from a step's profile and the environment.
    associatedtype Settings: Sendable = Void

    /// Stable kebab-case name, used in plans and listed by `aws-elevate plugins`.
    var name: String { get }
    /// One line saying what it reads.
    var summary: String { get }
    /// Which profiles the resolver gives this source, as botocore chooses its credential provider.
    var selection: SourceSelection { get }
    /// The settings of `step`, read and checked without a request; throws the plugin's error for a setting that
    /// cannot be used, so that it is reported before anything runs (a cache hit included).
    func settings(for step: Step, context: RunContext) throws -> Settings
    /// The credentials for `step`, or `nil` when this source does not apply (nothing configured for it).
    /// Throws when it applies but fails.
    func credentials(for step: Step, settings: Settings, context: RunContext) async throws -> Credentials?
    /// What decides the result of `step`, as named parts, known without a network request and free of secrets
    /// (a key id may appear, never a secret key or token); `nil` when the step's result cannot be cached.
    func cacheIdentity(for step: Step, settings: Settings, context: RunContext) -> [String: String]?
    /// Whether the source reads credentials locally without a request (environment, files): a plan made of such a
    /// source alone is not cached, since there is nothing to save and it would copy long-term keys to disk.
    var readsLocally: Bool { get }
}

extension SourcePlugin {
    /// By default a source is chosen by name only.
    public var selection: SourceSelection { SourceSelection() }
    /// By default a source declares no identity, so no plan that uses it is cached.
    public func cacheIdentity(for step: Step, settings: Settings, context: RunContext) -> [String: String]? { nil }
    /// By default a source is assumed to make requests.
    public var readsLocally: Bool { false }

    /// Reads the settings of `step`, then fetches: one step on its own (tests, tools).
    public func credentials(for step: Step, context: RunContext) async throws -> Credentials? {
        try await credentials(for: step, settings: try settings(for: step, context: context), context: context)
    }

    /// Reads the settings of `step`, then its identity: one step on its own (tests, tools).
    public func cacheIdentity(for step: Step, context: RunContext) throws -> [String: String]? {
        cacheIdentity(for: step, settings: try settings(for: step, context: context), context: context)
    }
}

extension SourcePlugin where Settings == Void {
    /// A source without settings of its own has nothing to read.
    public func settings(for step: Step, context: RunContext) {}
}

/// The places in botocore's order of credential providers where a profile's settings choose a source, first
/// first (`credentials.py`: the profile provider builder's web identity, SSO, shared credentials, process and config
/// providers, then the default chain's container provider).
public enum SourceRank: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// `role_arn` with a web identity token file: before any other, and before `role_arn` is assumed.
    case webIdentity
    /// IAM Identity Center settings.
    case sso
    /// Static keys of the profile in the credentials file.
    case credentialsFile
    /// Another program's credential document.
    case process
    /// Static keys of the profile in the config file.
    case configFile
    /// Variables of the environment that name a credential endpoint; only for the requested profile, when it holds
    /// nothing that yields credentials (botocore's default chain, after the profile's providers).
    case container

    public static func < (left: SourceRank, right: SourceRank) -> Bool { left.rawValue < right.rawValue }

    public var description: String {
        switch self {
        case .webIdentity: "web identity"
        case .sso: "SSO"
        case .credentialsFile: "credentials file"
        case .process: "process"
        case .configFile: "config file"
        case .container: "container"
        }
    }
}

/// What makes the resolver give a profile to a source plugin: the plugin's own declaration, so that no plugin name
/// is written anywhere else.
public struct SourceSelection: Sendable, Equatable {
    /// The places in botocore's order where the plugin is chosen for a profile holding one of ``settings``
    /// (``SourceRank/container``: when one of ``environment`` is set).
    public var ranks: [SourceRank]
    /// The profile settings that choose the plugin at its ``ranks``, any one of them.
    public var settings: [String]
    /// The `credential_source` value that names the plugin: one of botocore's canonical names.
    public var credentialSource: String?
    /// The environment variables that choose the plugin at ``SourceRank/container``, any one of them (set, even
    /// empty, as botocore tests them).
    public var environment: [String]

    /// A declaration; the default chooses the plugin for nothing (by name only).
    public init(
        ranks: [SourceRank] = [], settings: [String] = [], credentialSource: String? = nil, environment: [String] = []
    ) {
        self.ranks = ranks
        self.settings = settings
        self.credentialSource = credentialSource
        self.environment = environment
    }
}

/// A plugin that turns credentials into higher ones.
///
/// Bound like a source: ``settings(for:hop:context:)`` once, then the cache and the runner use what it returned.
public protocol ElevationPlugin: Sendable {
    /// What ``settings(for:hop:context:)`` reads from a hop's profile and the environment.
    associatedtype Settings: Sendable = Void

    /// Stable kebab-case name, used in plans and listed by `aws-elevate plugins`.
    var name: String { get }
    /// One line saying what it does.
    var summary: String { get }
    /// The profile settings that make a profile a hop through this plugin, any one of them (`role_arn` makes
    /// botocore assume a role).
    var selectingSettings: [String] { get }
    /// The settings of `step`, read and checked without a request; `hop` counts from 1 for messages.
    func settings(for step: Step, hop: Int, context: RunContext) throws -> Settings
    /// Credentials obtained with `input` as `step` describes; `hop` counts from 1 for messages.
    func elevate(_ input: Credentials, step: Step, settings: Settings, hop: Int, context: RunContext) async throws
        -> Credentials
    /// What decides the result of `step` given the same input, as named parts, known without a network request and
    /// free of secrets; `nil` when the hop's result cannot be cached.
    func cacheIdentity(for step: Step, settings: Settings, context: RunContext) -> [String: String]?
}

extension ElevationPlugin {
    /// By default an elevation is chosen by name only.
    public var selectingSettings: [String] { [] }
    /// By default a hop declares no identity, so no plan that uses it is cached.
    public func cacheIdentity(for step: Step, settings: Settings, context: RunContext) -> [String: String]? { nil }

    /// Reads the settings of `step`, then elevates: one hop on its own (tests, tools).
    public func elevate(_ input: Credentials, step: Step, hop: Int, context: RunContext) async throws -> Credentials {
        let settings = try settings(for: step, hop: hop, context: context)
        return try await elevate(input, step: step, settings: settings, hop: hop, context: context)
    }

    /// Reads the settings of `step` (as hop 1), then its identity: one hop on its own (tests, tools).
    public func cacheIdentity(for step: Step, context: RunContext) throws -> [String: String]? {
        cacheIdentity(for: step, settings: try settings(for: step, hop: 1, context: context), context: context)
    }
}

extension ElevationPlugin where Settings == Void {
    /// An elevation without settings of its own has nothing to read.
    public func settings(for step: Step, hop: Int, context: RunContext) {}
}
