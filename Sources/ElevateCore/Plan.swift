/// One step of a plan: a plugin, and the profile whose settings drive it.
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

/// How to obtain the credentials of a profile: one source, then zero or more elevation hops, in order.
public struct Plan: Sendable, Equatable {
    /// The profile that was asked for.
    public var profile: String
    public var source: Step
    /// Elevation hops; each uses the credentials of the step before it.
    public var hops: [Step]
    /// The region configured for the requested profile, if any.
    public var region: String?

    public init(profile: String, source: Step, hops: [Step] = [], region: String? = nil) {
        self.profile = profile
        self.source = source
        self.hops = hops
        self.region = region
    }
}

extension Plan: CustomStringConvertible {
    /// `env(base) → assume-role(admin-chain)`: plugins and the profiles they read.
    public var description: String {
        ([source] + hops).map { "\($0.plugin)(\($0.profile.name))" }.joined(separator: " → ")
    }
}
