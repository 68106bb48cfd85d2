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
public protocol SourcePlugin: Sendable {
    /// Stable kebab-case name, used in plans and listed by `aws-elevate plugins`.
    var name: String { get }
    /// One line saying what it reads.
    var summary: String { get }
    /// The credentials for `step`, or `nil` when this source does not apply (nothing configured for it).
    /// Throws when it applies but fails.
    func credentials(for step: Step, context: RunContext) async throws -> Credentials?
    /// What decides the result of `step`, as named parts, known without a network request and free of secrets
    /// (a key id may appear, never a secret key or token); `nil` when the step's result cannot be cached.
    func cacheIdentity(for step: Step, context: RunContext) -> [String: String]?
    /// Whether the source reads credentials locally without a request (environment, files): a plan made of such a
    /// source alone is not cached, since there is nothing to save and it would copy long-term keys to disk.
    var readsLocally: Bool { get }
}

extension SourcePlugin {
    /// By default a source declares no identity, so no plan that uses it is cached.
    public func cacheIdentity(for step: Step, context: RunContext) -> [String: String]? { nil }
    /// By default a source is assumed to make requests.
    public var readsLocally: Bool { false }
}

/// A plugin that turns credentials into higher ones.
public protocol ElevationPlugin: Sendable {
    /// Stable kebab-case name, used in plans and listed by `aws-elevate plugins`.
    var name: String { get }
    /// One line saying what it does.
    var summary: String { get }
    /// Credentials obtained with `input` as `step` describes; `hop` counts from 1 for messages.
    func elevate(_ input: Credentials, step: Step, hop: Int, context: RunContext) async throws -> Credentials
    /// What decides the result of `step` given the same input, as named parts, known without a network request and
    /// free of secrets; `nil` when the hop's result cannot be cached.
    func cacheIdentity(for step: Step, context: RunContext) -> [String: String]?
}

extension ElevationPlugin {
    /// By default a hop declares no identity, so no plan that uses it is cached.
    public func cacheIdentity(for step: Step, context: RunContext) -> [String: String]? { nil }
}
