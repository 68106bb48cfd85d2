/// What a plugin is given for one step: its registry name, and the profile whose settings drive it.
public struct Step: Sendable, Equatable {
    /// The registry name of the plugin.
    public var plugin: String
    /// The profile the step was read from.
    public var profile: Profile

    public init(plugin: String, profile: Profile) {
        self.plugin = plugin
        self.profile = profile
    }
}

/// The source of a plan: the plugin the registry gave the profile, and the profile.
public struct SourceStep: Sendable {
    public var plugin: any SourcePlugin
    public var profile: Profile

    public init(plugin: any SourcePlugin, profile: Profile) {
        self.plugin = plugin
        self.profile = profile
    }

    /// What the plugin is given.
    public var step: Step { Step(plugin: plugin.name, profile: profile) }
}

/// One elevation hop of a plan: the plugin the registry gave the profile, and the profile.
public struct HopStep: Sendable {
    public var plugin: any ElevationPlugin
    public var profile: Profile

    public init(plugin: any ElevationPlugin, profile: Profile) {
        self.plugin = plugin
        self.profile = profile
    }

    /// What the plugin is given.
    public var step: Step { Step(plugin: plugin.name, profile: profile) }
}

/// How to obtain the credentials of a profile: one source, then zero or more elevation hops, in order, each with
/// the plugin the registry chose for it.
public struct Plan: Sendable {
    /// The profile that was asked for.
    public var profile: String
    public var source: SourceStep
    /// Elevation hops; each uses the credentials of the step before it.
    public var hops: [HopStep]
    /// The region configured for the requested profile, if any.
    public var region: String?

    public init(profile: String, source: SourceStep, hops: [HopStep] = [], region: String? = nil) {
        self.profile = profile
        self.source = source
        self.hops = hops
        self.region = region
    }

    /// The profile whose settings the last step reads: the requested one, or the source profile of a plan without
    /// hops (it may differ from ``profile`` only in spelling).
    public var lastProfile: Profile { hops.last?.profile ?? source.profile }

    /// The plan with every step's settings read and checked, once: what the session cache and the chain runner
    /// share. Throws the first plugin's settings error.
    public func bind(context: RunContext) throws -> BoundPlan {
        let source = try BoundSource(self.source.plugin, step: self.source.step, context: context)
        var bound: [BoundHop] = []
        bound.reserveCapacity(hops.count)
        for (index, hop) in hops.enumerated() {
            bound.append(try BoundHop(hop.plugin, step: hop.step, hop: index + 1, context: context))
        }
        return BoundPlan(plan: self, source: source, hops: bound)
    }
}

extension Plan: CustomStringConvertible {
    /// `env(base) → assume-role(admin-chain)`: plugins and the profiles they read.
    public var description: String {
        ([source.step] + hops.map(\.step)).map { "\($0.plugin)(\($0.profile.name))" }.joined(separator: " → ")
    }
}

/// A plan whose steps hold their plugins' checked settings (``Plan/bind(context:)``).
public struct BoundPlan: Sendable {
    /// The plan it was bound from.
    public let plan: Plan
    public let source: BoundSource
    public let hops: [BoundHop]

    /// The profile that was asked for.
    public var profile: String { plan.profile }
    /// The region configured for the requested profile, if any.
    public var region: String? { plan.region }
}

extension BoundPlan: CustomStringConvertible {
    public var description: String { plan.description }
}

/// A source step with its plugin's settings, read once.
public struct BoundSource: Sendable {
    /// The plugin's registry name.
    public let name: String
    public let step: Step
    /// ``SourcePlugin/readsLocally`` of the plugin.
    public let readsLocally: Bool
    private let fetch: @Sendable (RunContext) async throws -> Credentials?
    private let identity: @Sendable (RunContext) -> [String: String]?

    /// Binds `plugin` to `step`: reads its settings now.
    public init<Plugin: SourcePlugin>(_ plugin: Plugin, step: Step, context: RunContext) throws {
        let settings = try plugin.settings(for: step, context: context)
        name = plugin.name
        self.step = step
        readsLocally = plugin.readsLocally
        fetch = { context in try await plugin.credentials(for: step, settings: settings, context: context) }
        identity = { context in plugin.cacheIdentity(for: step, settings: settings, context: context) }
    }

    /// ``SourcePlugin/credentials(for:settings:context:)`` with the bound settings.
    public func credentials(context: RunContext) async throws -> Credentials? { try await fetch(context) }

    /// ``SourcePlugin/cacheIdentity(for:settings:context:)`` with the bound settings.
    public func cacheIdentity(context: RunContext) -> [String: String]? { identity(context) }
}

/// An elevation hop with its plugin's settings, read once.
public struct BoundHop: Sendable {
    /// The plugin's registry name.
    public let name: String
    public let step: Step
    /// The hop's number, counting from 1.
    public let hop: Int
    private let run: @Sendable (Credentials, RunContext) async throws -> Credentials
    private let identity: @Sendable (RunContext) -> [String: String]?

    /// Binds `plugin` to `step`, hop number `hop`: reads its settings now.
    public init<Plugin: ElevationPlugin>(_ plugin: Plugin, step: Step, hop: Int, context: RunContext) throws {
        let settings = try plugin.settings(for: step, hop: hop, context: context)
        name = plugin.name
        self.step = step
        self.hop = hop
        run = { input, context in
            try await plugin.elevate(input, step: step, settings: settings, hop: hop, context: context)
        }
        identity = { context in plugin.cacheIdentity(for: step, settings: settings, context: context) }
    }

    /// ``ElevationPlugin/elevate(_:step:settings:hop:context:)`` with the bound settings.
    public func elevate(_ input: Credentials, context: RunContext) async throws -> Credentials {
        try await run(input, context)
    }

    /// ``ElevationPlugin/cacheIdentity(for:settings:context:)`` with the bound settings.
    public func cacheIdentity(context: RunContext) -> [String: String]? { identity(context) }
}
